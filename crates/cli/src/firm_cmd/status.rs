//! `firm status`: which firm this data folder belongs to, on which server, as which role — and
//! whether the database answers now, with its schema version and what the role may do.

use advisor_desk_core::firm::FirmSettings;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_firm::migrations;
use serde::Serialize;

use super::create::FIRM_NAME_SETTING;
use super::failure::Failure;
use super::local;

/// The database as this desktop reaches it now.
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Reach {
    Reachable {
        schema_version: i32,
        /// `admin`, `compliance` or `advisor`.
        member_kind: String,
        /// The name the firm's database records.
        firm_name: Option<String>,
    },
    Unavailable {
        code: String,
        reason: String,
    },
}

#[derive(Serialize)]
pub struct Status {
    pub firm: FirmSettings,
    pub server: String,
    pub database: Reach,
}

pub fn run(keychain: &dyn SecretStore, firm: FirmSettings) -> Status {
    let db = &firm.database;
    let server = format!("{}:{}/{}", db.host, db.port, db.dbname);
    let database = reach(keychain, &firm);
    Status {
        firm,
        server,
        database,
    }
}

/// Connects once and asks the schema version and the role's standing.
pub fn reach(keychain: &dyn SecretStore, firm: &FirmSettings) -> Reach {
    let asked = (|| -> Result<Reach, Failure> {
        let store = local::connect(keychain, firm)?;
        let reach = store.read(|client| {
            let schema_version = migrations::current_version(client)?;
            let row = client.query_one(
                "SELECT CASE WHEN firm_is_admin() THEN 'admin'
                             WHEN firm_is_staff() THEN 'compliance'
                             ELSE 'advisor' END,
                        (SELECT value FROM firm_settings WHERE key = $1)",
                &[&FIRM_NAME_SETTING],
            )?;
            Ok(Reach::Reachable {
                schema_version,
                member_kind: row.get(0),
                firm_name: row.get(1),
            })
        })?;
        Ok(reach)
    })();
    asked.unwrap_or_else(|failure| Reach::Unavailable {
        code: failure.code,
        reason: failure.message,
    })
}
