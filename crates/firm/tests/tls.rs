//! TLS to the firm database: a server with ssl=on that refuses plain connections, a certificate
//! from the firm's own CA, and a client that verifies it (`sslmode=require` + the CA's PEM).

use advisor_desk_firm::test_server::{ServerTls, TestDatabase, TestServer};
use advisor_desk_firm::{FirmDbConfig, FirmDbError};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

struct Pki {
    ca_pem: String,
    server: ServerTls,
}

/// A CA and a server certificate it signed for 127.0.0.1 and localhost.
fn firm_pki(ca_name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "firm database");
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: ServerTls {
            certificate_pem: server_cert.pem(),
            private_key_pem: server_key.serialize_pem(),
            require_tls: true,
        },
    }
}

fn refusal(opened: Result<advisor_desk_firm::FirmPool, FirmDbError>) -> FirmDbError {
    match opened {
        Ok(_) => panic!("the pool opened where it must be refused"),
        Err(error) => error,
    }
}

fn url(database: &TestDatabase, sslmode: &str) -> String {
    format!(
        "host=127.0.0.1 port={} dbname={} user={} sslmode={sslmode}",
        database.port, database.name, database.owner_role
    )
}

#[test]
fn the_firm_ca_is_trusted_and_nothing_else_is() {
    let pki = firm_pki("Test firm CA");
    let server = TestServer::start_with_tls(pki.server).unwrap();
    let database = server.create_database().unwrap();
    let config = |sslmode: &str| {
        FirmDbConfig::new(url(&database, sslmode))
            .with_password(database.owner_password.clone())
            .with_connect_timeout(std::time::Duration::from_secs(2))
    };

    // Encrypted and verified against the firm's CA.
    let pool = config("require")
        .with_ca_certificate_pem(pki.ca_pem.as_bytes())
        .open_pool()
        .unwrap();
    let encrypted: bool = pool
        .get()
        .unwrap()
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(encrypted, "the session runs over TLS");
    // The listener's single connection: the same address, TLS and password as the pool's.
    let mut single = config("require")
        .with_ca_certificate_pem(pki.ca_pem.as_bytes())
        .connect_one()
        .unwrap();
    let encrypted: bool = single
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(encrypted, "the single connection runs over TLS");

    // Another CA (an impostor's server certificate) is refused…
    let other = firm_pki("Some other CA");
    let refused = config("require")
        .with_ca_certificate_pem(other.ca_pem.as_bytes())
        .open_pool();
    let refused = refusal(refused);
    assert!(matches!(refused, FirmDbError::Unreachable(_)), "{refused}");
    assert!(refused.to_string().contains("certificate"), "{refused}");
    let refused = config("require")
        .with_ca_certificate_pem(other.ca_pem.as_bytes())
        .connect_one()
        .err()
        .expect("a connection to an impostor is refused");
    assert!(matches!(refused, FirmDbError::Unreachable(_)), "{refused}");
    assert!(refused.to_string().contains("certificate"), "{refused}");
    // …and so is the firm's private CA when only the public web roots are trusted.
    assert!(config("require").open_pool().is_err());

    // The server refuses a connection without TLS.
    assert!(config("disable").open_pool().is_err());
}

#[test]
fn a_ca_file_that_is_not_a_certificate_is_a_clear_error() {
    for pem in [&b"not a certificate"[..], b""] {
        let refused = FirmDbConfig::new("host=127.0.0.1 dbname=x user=y sslmode=require")
            .with_ca_certificate_pem(pem)
            .open_pool();
        let refused = refusal(refused);
        assert!(
            matches!(refused, FirmDbError::InvalidCaCertificate(_)),
            "{refused}"
        );
    }
}

#[test]
fn a_malformed_address_is_a_clear_error() {
    let refused = FirmDbConfig::new("postgresql://[broken").open_pool();
    let refused = refusal(refused);
    assert!(matches!(refused, FirmDbError::InvalidUrl(_)), "{refused}");
}

#[test]
fn a_wrong_password_is_a_refused_sign_in() {
    let database = TestServer::shared().create_database().unwrap();
    let refused = FirmDbConfig::new(url(&database, "disable"))
        .with_password("not the password")
        .open_pool();
    let refused = refusal(refused);
    assert!(
        matches!(refused, FirmDbError::SignInRefused(_)),
        "{refused}"
    );
    assert!(
        !refused.to_string().contains("not the password"),
        "{refused}"
    );
}
