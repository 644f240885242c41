//! Connecting to the firm database: a pool of synchronous clients, TLS through rustls.
//!
//! Why this driver and pool: the core's domain code is synchronous (rusqlite, called from
//! blocking threads), so the firm store uses sfackler's `postgres` crate — the synchronous face
//! of tokio-postgres, the maintained Rust driver — and its r2d2 pool. Callers use it exactly like
//! the SQLite store: from a blocking thread (Tauri's `spawn_blocking`), never inside an async task.
//!
//! TLS: rustls always verifies the server's certificate, so `sslmode=require` here means an
//! encrypted AND verified connection (stricter than libpq's `require`): against the firm's own CA
//! when one is given, else against the public web roots (managed servers).

use std::sync::Arc;
use std::time::Duration;

use r2d2::ManageConnection;
use r2d2_postgres::PostgresConnectionManager;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::FirmDbError;

/// The pool every firm-store query borrows a connection from.
pub type FirmPool = r2d2::Pool<PostgresConnectionManager<MakeRustlsConnect>>;

/// Each pooled connection plans a prepared statement for its parameters on every run
/// (`plan_cache_mode`): the reads keep their statements prepared (`queries::prepared`), and
/// PostgreSQL's generic plan, chosen after five runs, cannot see how many clients a set
/// (`= ANY($1)`) holds. Parsing is still saved; planning these statements is cheap.
#[derive(Debug)]
struct PlanEachRun;

impl r2d2::CustomizeConnection<postgres::Client, postgres::Error> for PlanEachRun {
    fn on_acquire(&self, client: &mut postgres::Client) -> Result<(), postgres::Error> {
        client.batch_execute("SET plan_cache_mode = force_custom_plan")
    }
}

/// Where the firm database is and how to reach it. The password comes from the keychain, never
/// from a file or the URL the user sees.
pub struct FirmDbConfig {
    url: String,
    password: Option<String>,
    ca_certificate_pem: Option<Vec<u8>>,
    pool_size: u32,
    connect_timeout: Duration,
}

impl FirmDbConfig {
    /// `url` is a libpq-style URL or key=value string (`postgresql://advisor@db.firm/book?sslmode=require`).
    pub fn new(url: impl Into<String>) -> Self {
        FirmDbConfig {
            url: url.into(),
            password: None,
            ca_certificate_pem: None,
            pool_size: 4,
            connect_timeout: Duration::from_secs(5),
        }
    }

    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Trust only this CA (PEM, one or more certificates) instead of the public web roots.
    pub fn with_ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificate_pem = Some(pem.into());
        self
    }

    pub fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Opens the pool and one connection, so a wrong address, password or certificate is reported
    /// now rather than at the first query.
    pub fn open_pool(&self) -> Result<FirmPool, FirmDbError> {
        let manager = PostgresConnectionManager::new(self.postgres_config()?, self.tls()?);
        // One connection of our own first: r2d2 keeps only the text of a failed attempt, and
        // that loses the cause ("error performing TLS handshake", not which certificate).
        manager.connect().map_err(FirmDbError::from_connect)?;
        let pool = r2d2::Pool::builder()
            .connection_customizer(Box::new(PlanEachRun))
            .max_size(self.pool_size)
            .min_idle(Some(0))
            .connection_timeout(self.connect_timeout)
            .build(manager)?;
        Ok(pool)
    }

    /// One connection outside the pool, to the same address with the same TLS and password: for
    /// the live listener, whose `LISTEN` belongs to its session (a pooled connection would be
    /// handed to other queries).
    pub fn connect_one(&self) -> Result<postgres::Client, FirmDbError> {
        self.postgres_config()?
            .connect(self.tls()?)
            .map_err(FirmDbError::from_connect)
    }

    fn postgres_config(&self) -> Result<postgres::Config, FirmDbError> {
        let mut config: postgres::Config = self
            .url
            .parse()
            .map_err(|e: postgres::Error| FirmDbError::InvalidUrl(e.to_string()))?;
        if let Some(password) = &self.password {
            config.password(password);
        }
        config.connect_timeout(self.connect_timeout);
        Ok(config)
    }

    fn tls(&self) -> Result<MakeRustlsConnect, FirmDbError> {
        Ok(MakeRustlsConnect::new(self.tls_config()?))
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig, FirmDbError> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca_certificate_pem {
            Some(pem) => {
                let mut added = 0;
                for certificate in CertificateDer::pem_slice_iter(pem) {
                    let certificate = certificate
                        .map_err(|e| FirmDbError::InvalidCaCertificate(e.to_string()))?;
                    roots
                        .add(certificate)
                        .map_err(|e| FirmDbError::InvalidCaCertificate(e.to_string()))?;
                    added += 1;
                }
                if added == 0 {
                    return Err(FirmDbError::InvalidCaCertificate(
                        "no certificate found in the file".into(),
                    ));
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| FirmDbError::InvalidCaCertificate(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}
