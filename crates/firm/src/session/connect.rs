//! From the saved `FirmSettings` (no secret) and the role password (from the keychain) to the
//! pool's `FirmDbConfig` and to the listener's own single connection.

use std::time::Duration;

use advisor_desk_core::firm::{FirmSettings, SslMode};
use advisor_desk_core::secrets::Secret;

use crate::{FirmDbConfig, FirmDbError};

/// What the session connects with. The password stays a `Secret` (redacted, zeroised).
pub(super) struct Address {
    settings: FirmSettings,
    password: Secret,
    connect_timeout: Duration,
}

impl Address {
    pub(super) fn new(settings: FirmSettings, password: Secret, connect_timeout: Duration) -> Self {
        Address {
            settings,
            password,
            connect_timeout,
        }
    }

    /// The pool's configuration.
    pub(super) fn pool_config(&self) -> FirmDbConfig {
        member_config(&self.settings, &self.password, APPLICATION)
            .with_pool_size(4)
            .with_connect_timeout(self.connect_timeout)
    }

    /// One connection outside the pool, for the listener (a pooled one would be handed to other
    /// queries and lose its LISTEN): the pool's own address, password and TLS.
    pub(super) fn single_connection(&self) -> Result<postgres::Client, FirmDbError> {
        self.pool_config().connect_one()
    }

    /// A connection string this session can parse; refused early with the settings' fault.
    pub(super) fn check(&self) -> Result<(), FirmDbError> {
        connection_string(&self.settings, APPLICATION)
            .parse::<postgres::Config>()
            .map(|_| ())
            .map_err(|e| FirmDbError::InvalidUrl(e.to_string()))
    }
}

/// The name the app's connections give the server (`application_name`).
const APPLICATION: &str = "advisor-desk";

/// A member's connection to the firm database from its saved settings, the password handed in
/// apart; `application` names the program in the server's views. The app's session and the
/// command line both connect through this.
pub fn member_config(
    settings: &FirmSettings,
    password: &Secret,
    application: &str,
) -> FirmDbConfig {
    let config = FirmDbConfig::new(connection_string(settings, application))
        .with_password(password.expose());
    match &settings.database.ca_certificate_pem {
        Some(pem) => config.with_ca_certificate_pem(pem.as_bytes()),
        None => config,
    }
}

/// The key=value connection string, without the password (handed in apart).
fn connection_string(settings: &FirmSettings, application: &str) -> String {
    let db = &settings.database;
    format!(
        "host={} port={} dbname={} user={} sslmode={} application_name={}",
        quoted(&db.host),
        db.port,
        quoted(&db.dbname),
        quoted(&settings.role),
        libpq_sslmode(db.sslmode),
        quoted(application),
    )
}

/// rustls verifies the certificate and the host name in every TLS mode, so `verify-ca` and
/// `verify-full` are what `require` already does here.
fn libpq_sslmode(mode: SslMode) -> &'static str {
    match mode {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
    }
}

/// A key=value value in single quotes, with `\` and `'` escaped (libpq's rules).
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::firm::{DatabaseSettings, FirmId};

    fn settings(dbname: &str) -> FirmSettings {
        FirmSettings {
            firm: FirmId::new("f1").unwrap(),
            firm_name: "Ruiz & Co".into(),
            database: DatabaseSettings {
                host: "db.firm.example".into(),
                port: 6543,
                dbname: dbname.into(),
                sslmode: SslMode::VerifyFull,
                ca_certificate_pem: None,
            },
            role: "ruiz_ana".into(),
            key_versions: vec![1],
        }
    }

    #[test]
    fn the_connection_string_quotes_values_and_leaves_the_password_out() {
        let address = Address::new(
            settings("book o'neil \\ x"),
            Secret::new("s3cret"),
            Duration::from_secs(3),
        );
        let text = connection_string(&address.settings, APPLICATION);
        assert!(!text.contains("s3cret"), "{text}");
        let parsed: postgres::Config = text.parse().unwrap();
        assert_eq!(parsed.get_dbname(), Some("book o'neil \\ x"));
        assert_eq!(parsed.get_user(), Some("ruiz_ana"));
        assert_eq!(parsed.get_ports(), &[6543]);
        assert_eq!(parsed.get_ssl_mode(), postgres::config::SslMode::Require);
        address.check().unwrap();
    }
}
