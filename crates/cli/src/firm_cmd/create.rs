//! `firm create`: the administrator makes the firm. On the firm's PostgreSQL database (whose
//! owner role signs in here): the schema migrated (which also sets up moving books in, firm
//! migration 0006: nothing here is done by hand), the firm's id and first key version
//! recorded, its name, and the administrator as its first member; in this computer's keychain:
//! the firm key and the role password; in this data folder: the firm's settings. A failure
//! leaves neither the database's firm rows nor the keychain entries behind.

use std::path::PathBuf;

use clap::Args;
use postgres::config::Host;

use advisor_desk_core::firm::keychain::{key_entry, password_entry};
use advisor_desk_core::firm::{DatabaseSettings, FirmId, FirmKey, FirmSettings, SslMode};
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_firm::migrations;
use advisor_desk_firm::secrets::{firm_id, set_up_firm};
use advisor_desk_firm::{FirmDbConfig, FirmStore};

use super::failure::Failure;
use super::local;
use crate::exit;

/// The firm-wide setting holding the firm's name (every member reads it).
pub const FIRM_NAME_SETTING: &str = "firm_name";

#[derive(Args)]
pub struct CreateArgs {
    /// The firm database, as its owner role: `postgresql://owner@db.firm.example:5432/book?sslmode=require`
    /// (no password in it: it is asked for, or read with --password-file).
    #[arg(long, value_name = "URL")]
    url: String,
    /// The firm's name, as its members see it.
    #[arg(long)]
    name: String,
    /// Your name as the firm's administrator (defaults to the database role).
    #[arg(long, value_name = "NAME")]
    admin_name: Option<String>,
    /// The CA certificate (PEM) the server's certificate chains to, when the firm runs its own CA.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Read the database password from the first line of this file instead of asking.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

/// What was created.
#[derive(serde::Serialize)]
pub struct Created {
    pub firm: FirmSettings,
    pub schema_version: i32,
}

pub fn run(
    solo: &advisor_desk_core::Store,
    keychain: &dyn SecretStore,
    args: CreateArgs,
) -> Result<Created, Failure> {
    local::refuse_another_firm(solo, None)?;
    let name = args.name.trim().to_string();
    if name.is_empty() || name.len() > 200 {
        return Err(Failure::invalid("the firm's name is 1 to 200 characters"));
    }
    let (database, role) = address_of(&args.url, args.ca_file.as_deref())?;
    let password = Secret::new(
        crate::prompt::secret_line(args.password_file.as_deref(), "Database password", false)?
            .as_str(),
    );
    let mut config = FirmDbConfig::new(args.url.clone()).with_password(password.expose());
    if let Some(pem) = &database.ca_certificate_pem {
        config = config.with_ca_certificate_pem(pem.as_bytes());
    }
    let schema_version = migrations::migrate(
        &mut *config
            .open_pool()?
            .get()
            .map_err(advisor_desk_firm::FirmDbError::from)?,
    )?;
    let store = FirmStore::connect(&config)?;

    let firm = FirmId::new(format!("firm-{}", random_hex(16)?))?;
    let key = FirmKey::generate(1)?;
    let entries = [key_entry(&firm, 1)?, password_entry(&firm)?];
    let admin_name = args.admin_name.unwrap_or_else(|| role.clone());
    let created = store.write_as(|tx| {
        if firm_id(tx).is_ok() {
            return Err(Failure::new(
                "firm_exists",
                "this database already holds a firm; ask its administrator for an invite",
                exit::CONFLICT,
            ));
        }
        set_up_firm(tx, &firm, &key)?;
        tx.execute(
            "INSERT INTO firm_settings (key, value) VALUES ($1, $2)",
            &[&FIRM_NAME_SETTING, &name],
        )?;
        tx.execute(
            "INSERT INTO advisors (role_name, display_name, is_admin) VALUES (current_user, $1, true)",
            &[&admin_name],
        )?;
        tx.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (now(), 'admin', 'firm.created', $1)",
            &[&format!("the firm '{name}' ({firm}) created by {role}")],
        )?;
        // Filed last, just before the commit; taken out again below if the commit fails.
        key.save(keychain, &firm)?;
        keychain
            .put(&entries[1], &password)
            .map_err(advisor_desk_core::CoreError::from)?;
        Ok(())
    });
    if let Err(failure) = created {
        for entry in &entries {
            let _ = keychain.delete(entry);
        }
        return Err(failure);
    }
    let settings = FirmSettings {
        firm,
        firm_name: name,
        database,
        role,
        key_versions: vec![1],
    };
    local::save(solo, &settings)?;
    Ok(Created {
        firm: settings,
        schema_version,
    })
}

/// The database settings and role a URL names; a URL carrying a password is refused (it would
/// end up in shell histories and process lists).
fn address_of(
    url: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<(DatabaseSettings, String), Failure> {
    let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
        Failure::invalid(format!("the database address is not valid: {e}"))
    })?;
    if config.get_password().is_some() {
        return Err(Failure::invalid(
            "leave the password out of the address: it is asked for, or read with --password-file",
        ));
    }
    let host = match config.get_hosts() {
        [Host::Tcp(host)] => host.clone(),
        _ => {
            return Err(Failure::invalid(
                "the database address names one host (a name or an IP address)",
            ))
        }
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let role = config
        .get_user()
        .ok_or_else(|| {
            Failure::invalid(
                "the database address names the owner role (postgresql://ROLE@host/db)",
            )
        })?
        .to_string();
    let dbname = config
        .get_dbname()
        .ok_or_else(|| {
            Failure::invalid("the database address names the database (postgresql://role@host/DB)")
        })?
        .to_string();
    let sslmode = match config.get_ssl_mode() {
        postgres::config::SslMode::Disable => SslMode::Disable,
        postgres::config::SslMode::Require => SslMode::Require,
        _ => SslMode::Prefer,
    };
    let ca_certificate_pem = match ca_file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            Failure::invalid(format!(
                "cannot read the CA certificate {}: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    let database = DatabaseSettings {
        host,
        port,
        dbname,
        sslmode,
        ca_certificate_pem,
    };
    Ok((database, role))
}

/// `bytes` random bytes from the operating system, as hex.
pub fn random_hex(bytes: usize) -> Result<String, Failure> {
    let mut buffer = zeroize::Zeroizing::new(vec![0u8; bytes]);
    getrandom::fill(&mut buffer).map_err(|e| {
        Failure::new(
            "random_unavailable",
            format!("the operating system's random number generator failed ({e})"),
            exit::FAILURE,
        )
    })?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}
