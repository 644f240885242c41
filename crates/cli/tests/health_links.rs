//! `health` and `links send` as a scheduled job would run them: the real binary on a real
//! SQLite file seeded through the core library (as connecting and syncing would leave it).

use std::path::Path;
use std::process::{Command, Output};

use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::Provider;
use advisor_desk_core::secrets::{MemorySecretStore, Secret};
use advisor_desk_core::sync::{connections, NewConnection};
use advisor_desk_core::{paths, time, Store};
use chrono::Duration;

fn cli(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(args)
        .env("ADVISOR_DESK_DATA_DIR", data_dir)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/advisor-desk-test-bus",
        )
        .output()
        .expect("run advisor-desk-cli")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A connection for `client` created `age_days` ago, in `status` with `action_by`.
fn connection(
    store: &Store,
    client: &str,
    bank: &str,
    provider: Provider,
    status: &str,
    action_by: &str,
    age_days: i64,
) -> i64 {
    let client_id = advisor_desk_core::clients::add(
        store,
        &NewClient {
            name: client.into(),
            ..Default::default()
        },
        "test",
    )
    .unwrap()
    .id;
    let id = connections::add(
        store,
        &NewConnection {
            client_id,
            provider,
            flow: match provider {
                Provider::Flanks => "flanks_link".into(),
                Provider::Flinks => "flinks_connect".into(),
            },
            institution_id: Some(bank.to_lowercase()),
            institution_name: Some(bank.into()),
        },
        &Secret::new(format!("token-of-{client}")),
        &MemorySecretStore::new(),
        "test",
    )
    .unwrap()
    .id;
    let now = time::now();
    store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET status = ?2, action_by = ?3, created_at = ?4,
                     last_success_at = ?5, last_attempt_at = ?5, data_as_of = ?5
                 WHERE id = ?1",
                rusqlite::params![
                    id,
                    status,
                    action_by,
                    time::to_db(now - Duration::days(age_days)),
                    time::to_db(now - Duration::hours(1))
                ],
            )?;
            Ok(())
        })
        .unwrap();
    id
}

#[test]
fn health_prints_who_must_act_and_the_consent_forecast_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&paths::database_path(dir.path())).unwrap();
    let sca = connection(
        &store,
        "Ana Ruiz",
        "Banco Uno",
        Provider::Flanks,
        "pending_sca",
        "client",
        95,
    );
    let due = connection(
        &store,
        "Luis Gil",
        "Banco Dos",
        Provider::Flanks,
        "ready",
        "nobody",
        80,
    );
    connection(
        &store,
        "Eva Mar",
        "Banco Tres",
        Provider::Flanks,
        "ready",
        "nobody",
        10,
    );
    drop(store);

    let text = ok(&cli(dir.path(), &["health"]));
    assert!(text.contains("banks ask for SCA every 90 days"), "{text}");
    assert!(text.contains("The client must act (1)"), "{text}");
    let ana = text.lines().find(|l| l.contains("Ana Ruiz")).unwrap();
    assert!(ana.trim_start().starts_with(&sca.to_string()), "{ana}");
    assert!(
        ana.contains("pending_sca") && ana.contains("client"),
        "{ana}"
    );
    assert!(ana.contains("SCA probably overdue by 5 days"), "{ana}");
    assert!(text.contains("SCA due within 14 days: renew with the client present (1)"));
    let luis = text.lines().find(|l| l.contains("Luis Gil")).unwrap();
    assert!(luis.contains("next SCA in 10 days"), "{luis}");
    assert!(!text.contains("Eva Mar"), "healthy and not due: {text}");

    let json: serde_json::Value =
        serde_json::from_str(&ok(&cli(dir.path(), &["health", "--json"]))).unwrap();
    assert_eq!(json["client"][0]["connection"]["id"], sca);
    assert_eq!(json["client"][0]["connection"]["action_by"], "client");
    assert_eq!(json["client"][0]["connection"]["consent"]["days_left"], -5);
    assert_eq!(json["due_soon"][0]["connection"]["id"], due);
    assert_eq!(json["due_soon"][0]["connection"]["consent"]["kind"], "sca");
    assert_eq!(json["consent_period"], "days90");
    assert!(
        !json.to_string().contains("token-of-"),
        "no secret in the output"
    );
}

#[test]
fn health_shows_a_login_waiting_for_the_holder_check_for_a_scheduled_job() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&paths::database_path(dir.path())).unwrap();
    let held = connection(
        &store,
        "Ana Ruiz García",
        "Banco Uno",
        Provider::Flanks,
        "ready",
        "nobody",
        1,
    );
    // As the first sync leaves a login whose holder shares no name with the client.
    store
        .write(|tx| {
            tx.execute(
                "UPDATE connections SET holder_check = 'pending',
                     holder_names = 'MARTA GIL NAVARRO' WHERE id = ?1",
                [held],
            )?;
            Ok(())
        })
        .unwrap();
    drop(store);

    let text = ok(&cli(dir.path(), &["health"]));
    assert!(text.contains("The advisor must act (1)"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("Ana Ruiz García"))
        .unwrap();
    assert!(
        row.contains("confirm_holder") && row.contains("advisor"),
        "{row}"
    );
    assert!(
        text.contains(
            "Confirm the account holder: the bank names MARTA GIL NAVARRO for Ana Ruiz García"
        ),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&cli(dir.path(), &["health", "--json"]))).unwrap();
    let c = &json["advisor"][0]["connection"];
    assert_eq!(c["id"], held);
    assert_eq!(c["holder_check"], "pending");
    assert_eq!(c["holder_names"][0], "MARTA GIL NAVARRO");
}

#[test]
fn links_send_refuses_an_unknown_connection_before_asking_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(&paths::database_path(dir.path())).unwrap());
    let o = cli(
        dir.path(),
        &["links", "send", "--connection", "42", "--json"],
    );
    assert_eq!(o.status.code(), Some(3));
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(err["error"]["code"], "not_found");
    let o = cli(dir.path(), &["links", "send"]);
    assert_eq!(o.status.code(), Some(2), "--connection is required");
}
