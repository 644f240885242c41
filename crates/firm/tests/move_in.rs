//! Moving a solo book into the firm database, against a real PostgreSQL server (TestServer), the
//! real Secret Service (run inside `scripts/with-keyring.sh`, `KEYRING_HERMETIC=1`) and a solo
//! book synced from the real sandbox over HTTP: every table's count equal, every credential and
//! provider key sealed and opening to the keychain's value, nothing in clear in the server's
//! files or a pg_dump, the solo book kept and marked; a second move-in and a keychain entry
//! missing half-way refused with the firm database left exactly as it was.

mod dump_scan;
#[allow(dead_code)] // the e2e suite's scanner; this test uses part of it
#[path = "../../../tests/e2e/src/secret_scan.rs"]
mod secret_scan;

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::clients::{self, NewClient};
use advisor_desk_core::domain::Provider;
use advisor_desk_core::firm::{keychain::key_entry, FirmId, FirmKey};
use advisor_desk_core::households;
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretKey, SecretStore};
use advisor_desk_core::sync::connections::{self, NewConnection};
use advisor_desk_core::sync::{CallBuffer, CancelToken, ProviderGateway, SyncEngine, SyncOptions};
use advisor_desk_core::Store;
use advisor_desk_firm::copy_in::TABLES;
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::move_in::{
    move_in, moved_to, MoveInError, MoveInPlan, MoveInReport, MOVED_IN_ACTION,
};
use advisor_desk_firm::secrets::{self, SecretPlace};
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::{FirmDbConfig, FirmStore};
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
};
use advisor_desk_sandbox::{
    Sandbox, SandboxConfig, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET, FLINKS_API_KEY,
    FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
};
use dump_scan::{assert_only_the_canary, pg_dump};

const FLANKS_KEY: &str = "flanks-client-secret-moving-9d3e7a51c0";
const CANARY: &str = "canary-in-clear-move-in-6f2b8d41e9";

/// A solo book in a data folder of its own, its secrets in its own keychain namespace.
struct Solo {
    _dir: tempfile::TempDir,
    store: Store,
    keychain: KeyringStore,
    /// Each connection's id and its credentials token / loginId, as the keychain holds it.
    tokens: Vec<(i64, String)>,
}

/// Three clients (two in a household), one sandbox login each (Flanks and Flinks), synced
/// from the sandbox by the real engine; a Flanks API key in the keychain.
fn synced_solo_book(service: &str) -> Solo {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
    let keychain = KeyringStore::new(service);
    let names = ["Ana Ruiz Gil", "Luis Ruiz Gil", "Marta Soler"];
    let ids: Vec<i64> = names
        .iter()
        .map(|name| {
            clients::add(
                &store,
                &NewClient {
                    name: name.to_string(),
                    ..Default::default()
                },
                "advisor",
            )
            .unwrap()
            .id
        })
        .collect();
    let household = households::create(&store, "Ruiz Gil", "advisor").unwrap();
    for client in &ids[..2] {
        households::add_member(&store, household.id, *client, "advisor").unwrap();
    }
    keychain
        .put(
            &SecretKey::provider_key("flanks", "client_secret"),
            &Secret::new(FLANKS_KEY),
        )
        .unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = {
        let _inside = runtime.enter();
        Sandbox::start(SandboxConfig {
            pending_delay: Duration::from_millis(100),
            flinks_processing_delay: Duration::from_millis(100),
            ..SandboxConfig::default()
        })
        .unwrap()
    };
    let book = runtime.block_on(sandbox.control().book()).unwrap();
    let pick = |provider: &str, nth: usize| {
        book.iter()
            .filter(|b| b.provider == provider)
            .nth(nth)
            .unwrap()
            .token
            .clone()
    };
    let logins = [
        (ids[0], Provider::Flanks, "flanks_link", pick("flanks", 0)),
        (
            ids[1],
            Provider::Flinks,
            "flinks_connect",
            pick("flinks", 0),
        ),
        (ids[2], Provider::Flanks, "flanks_link", pick("flanks", 1)),
    ];
    let mut tokens = Vec::new();
    for (client_id, provider, flow, token) in logins {
        let connection = connections::add(
            &store,
            &NewConnection {
                client_id,
                provider,
                flow: flow.into(),
                institution_id: None,
                institution_name: None,
            },
            &Secret::new(token.as_str()),
            &keychain,
            "advisor",
        )
        .unwrap();
        tokens.push((connection.id, token));
    }

    let store = Arc::new(store);
    let base = sandbox.base_url();
    let calls = Arc::new(CallBuffer::new());
    let flanks = FlanksClient::new(
        FlanksConfig::new(
            Secret::new(FLANKS_CLIENT_ID),
            Secret::new(FLANKS_CLIENT_SECRET),
        )
        .with_base_url(&base),
        calls.clone(),
    )
    .unwrap();
    let mut flinks_config = FlinksConfig::new(
        FLINKS_CUSTOMER_ID,
        Secret::new(FLINKS_SECRET_KEY),
        Secret::new(FLINKS_API_KEY),
    )
    .with_base_url(&base);
    flinks_config.async_poll_interval = Duration::from_millis(100);
    let flinks = FlinksClient::new(flinks_config, calls.clone()).unwrap();
    let engine = SyncEngine::new(
        store.clone(),
        Arc::new(KeyringStore::new(service)),
        vec![
            Arc::new(FlanksGateway::new(Arc::new(flanks))) as Arc<dyn ProviderGateway>,
            Arc::new(FlinksGateway::new(Arc::new(flinks))),
        ],
        calls,
        SyncOptions {
            status_poll_initial: Duration::from_millis(50),
            status_poll_max: Duration::from_millis(200),
            trigger: "test".into(),
            ..SyncOptions::default()
        },
    );
    let ids = tokens.iter().map(|(id, _)| *id).collect();
    let summary = runtime.block_on(engine.sync_many(ids, Arc::new(|_| {}), CancelToken::new()));
    drop(engine);
    drop(sandbox);
    let store = Arc::try_unwrap(store).ok().expect("the engine is gone");
    let solo = Solo {
        _dir: dir,
        store,
        keychain,
        tokens,
    };
    assert!(
        solo.count("transactions") > 0 && solo.count("holdings") > 0,
        "the sandbox sync wrote data ({summary:?})"
    );
    solo
}

impl Solo {
    fn count(&self, table: &str) -> i64 {
        self.store
            .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
            .unwrap()
    }
}

/// A migrated firm whose administrator (the database owner) holds the firm key in `keychain`,
/// and one advisor, Ana.
struct Firm {
    book: TestFirm,
    id: FirmId,
    admin: FirmStore,
    ana: TestMember,
}

fn firm_for(keychain: &dyn SecretStore) -> Firm {
    let book = TestFirm::migrated();
    let ana = book.add_member("ana", MemberKind::Advisor);
    let id = FirmId::new(format!("firm-{}", book.database.name)).unwrap();
    let admin = FirmStore::connect(&FirmDbConfig::new(book.database.owner_url()).with_pool_size(2))
        .unwrap();
    let key = FirmKey::generate(1).unwrap();
    key.save(keychain, &id).unwrap();
    admin
        .write_as(|tx| secrets::set_up_firm(tx, &id, &key))
        .unwrap();
    Firm {
        book,
        id,
        admin,
        ana,
    }
}

impl Firm {
    fn plan(&self) -> MoveInPlan<'_> {
        MoveInPlan {
            firm_name: "Gil Patrimonios",
            advisor_role: &self.ana.role,
        }
    }

    /// Every table's rows as stored (bypassing row security), to show nothing changed.
    fn everything(&self) -> Vec<(String, i64)> {
        let mut su = self.book.superuser();
        let tables: Vec<String> = su
            .query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        tables
            .into_iter()
            .map(|t| {
                let n: i64 = su
                    .query_one(&format!("SELECT count(*) FROM {t}"), &[])
                    .unwrap()
                    .get(0);
                (t, n)
            })
            .collect()
    }

    fn count(&self, sql: &str) -> i64 {
        self.book.superuser().query_one(sql, &[]).unwrap().get(0)
    }
}

fn service(test: &str) -> String {
    format!("advisor-desk-test-move-in-{test}-{}", std::process::id())
}

fn moved(solo: &Solo, firm: &Firm) -> Result<MoveInReport, MoveInError> {
    move_in(
        &solo.store,
        &solo.keychain,
        &firm.admin,
        &firm.plan(),
        &mut |_| {},
    )
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-firm --test move_in -- --include-ignored"]
fn a_synced_solo_book_moves_in_whole_with_its_secrets_sealed() {
    let solo = synced_solo_book(&service("whole"));
    let firm = firm_for(&solo.keychain);
    let solo_counts: Vec<(String, i64)> = TABLES
        .iter()
        .map(|t| (t.to_string(), solo.count(t)))
        .collect();
    let mut steps = Vec::new();
    let report = move_in(
        &solo.store,
        &solo.keychain,
        &firm.admin,
        &firm.plan(),
        &mut |step| steps.push(step),
    )
    .unwrap();

    // Counts: the report's, and the firm's own, equal the solo book's, table by table.
    for (table, n) in &solo_counts {
        assert_eq!(report.rows[table], *n, "{table} in the report");
        let moved_in_entry = i64::from(table == "audit_log");
        assert_eq!(
            firm.count(&format!("SELECT count(*) FROM {table}")),
            n + moved_in_entry,
            "{table} in the firm database"
        );
    }
    assert!(report.rows["transactions"] > 0 && report.rows["audit_log"] > 0);
    assert_eq!(report.credentials_sealed, 3);
    assert_eq!(report.provider_keys.carried, ["flanks/client_secret"]);
    assert!(steps.len() >= 5, "progress was reported: {steps:?}");

    // Each secret opens, as the admin and as Ana (her clients now), to the keychain's value.
    let ana = FirmStore::connect(&FirmDbConfig::new(firm.book.url_for(&firm.ana))).unwrap();
    for store in [&firm.admin, &ana] {
        assert_secrets_open(store, &solo, &report);
    }
    let key = firm
        .admin
        .read(|c| {
            Ok(secrets::open(
                c,
                &solo.keychain,
                SecretPlace::ProviderKey {
                    provider: "flanks",
                    field: "client_secret",
                },
            ))
        })
        .unwrap()
        .unwrap();
    assert_eq!(key.expose(), FLANKS_KEY);

    // Every moved client is Ana's; the audit log came along with one entry saying so.
    let assigned = firm.count(&format!(
        "SELECT count(*) FROM client_assignments WHERE advisor_role = '{}'",
        firm.ana.role
    ));
    assert_eq!(assigned, solo.count("clients"));
    let moved_in = firm.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{MOVED_IN_ACTION}'"
    ));
    assert_eq!(moved_in, 1);

    // The solo book is kept whole, marked moved; its keychain entries stay.
    for (table, n) in &solo_counts {
        let extra = i64::from(table == "audit_log"); // the book.moved_out entry
        assert_eq!(solo.count(table), n + extra, "solo {table}");
    }
    let mark = moved_to(&solo.store).unwrap().expect("marked moved");
    assert_eq!(mark.firm_id, firm.id.as_str());
    assert_eq!(mark.firm_name, "Gil Patrimonios");
    for (id, token) in &solo.tokens {
        let connection = connections::get(&solo.store, *id).unwrap();
        let kept = solo
            .keychain
            .get(&connection.secret_key().unwrap())
            .unwrap();
        assert_eq!(kept.unwrap().expose(), token);
    }

    // Nothing in clear: the server's files and a pg_dump of the firm database.
    no_secret_in_clear(&firm, &solo);
}

/// Each connection's credentials open, read from `store` by the connection's firm id, to the
/// solo keychain's value.
fn assert_secrets_open(store: &FirmStore, solo: &Solo, report: &MoveInReport) {
    for (solo_id, token) in &solo.tokens {
        let connection_id = report.ids.firm_id("connections", *solo_id).unwrap();
        let opened = store
            .read(|c| {
                Ok(secrets::open(
                    c,
                    &solo.keychain,
                    SecretPlace::Credentials { connection_id },
                ))
            })
            .unwrap()
            .unwrap();
        assert_eq!(opened.expose(), token, "connection {solo_id}");
    }
}

/// The secrets audit (tests/secrets_audit.rs's scanner) after the move: the tokens, the
/// provider key and the firm key are nowhere in clear; a canary written in clear is found.
fn no_secret_in_clear(firm: &Firm, solo: &Solo) {
    let server = TestServer::shared();
    firm.book
        .owner()
        .execute(
            "INSERT INTO firm_settings (key, value) VALUES ('audit_canary', $1)",
            &[&CANARY],
        )
        .unwrap();
    let mut needles = vec![
        secret_scan::Secret::new("canary", CANARY),
        secret_scan::Secret::new("flanks key", FLANKS_KEY),
    ];
    for (id, token) in &solo.tokens {
        needles.push(secret_scan::Secret::new(format!("connection {id}"), token));
    }
    let firm_key = solo
        .keychain
        .get(&key_entry(&firm.id, 1).unwrap())
        .unwrap()
        .unwrap();
    needles.push(secret_scan::Secret::new("firm key", firm_key.expose()));
    let scanner = secret_scan::Scanner::new(needles);

    firm.book.superuser().batch_execute("CHECKPOINT").unwrap();
    assert_only_the_canary(
        &scanner.scan_tree(server.folder_path()),
        "the server's folder",
    );
    let dumps = tempfile::tempdir().unwrap();
    let dump = dumps.path().join("firm.sql");
    pg_dump(server, &firm.book.database.superuser_url, "plain", &dump);
    assert_only_the_canary(&scanner.scan_file(&dump).unwrap(), "pg_dump");
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-firm --test move_in -- --include-ignored"]
fn a_missing_keychain_entry_half_way_leaves_the_firm_database_as_it_was() {
    let solo = synced_solo_book(&service("missing"));
    let firm = firm_for(&solo.keychain);
    let before = firm.everything();
    // The last connection's credentials are gone: the first two are sealed before it fails.
    let (last, _) = solo.tokens.last().unwrap();
    let connection = connections::get(&solo.store, *last).unwrap();
    solo.keychain
        .delete(&connection.secret_key().unwrap())
        .unwrap();

    let refused = moved(&solo, &firm).unwrap_err();
    assert_eq!(refused.code(), "credentials_missing", "{refused}");
    assert!(refused.to_string().contains(&format!("connection {last}")));
    assert_eq!(firm.everything(), before, "the firm database is unchanged");
    assert!(
        moved_to(&solo.store).unwrap().is_none(),
        "the solo book is not marked"
    );
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-firm --test move_in -- --include-ignored"]
fn a_second_move_in_is_refused_and_changes_nothing() {
    let solo = synced_solo_book(&service("twice"));
    let firm = firm_for(&solo.keychain);
    moved(&solo, &firm).unwrap();
    let after_first = firm.everything();

    // The same book again: it says where it went.
    let again = moved(&solo, &firm).unwrap_err();
    assert_eq!(again.code(), "book_already_moved", "{again}");
    assert!(again.to_string().contains("Gil Patrimonios"));

    // The same book with its mark lost (or a copy of its folder): the firm knows it.
    solo.store
        .write(|tx| {
            tx.execute(
                "DELETE FROM settings WHERE key = ?1",
                [advisor_desk_firm::move_in::MOVED_TO_SETTING],
            )?;
            Ok(())
        })
        .unwrap();
    let unmarked = moved(&solo, &firm).unwrap_err();
    assert_eq!(unmarked.code(), "book_already_moved", "{unmarked}");
    assert!(unmarked.to_string().contains("installation"), "{unmarked}");
    assert!(moved_to(&solo.store).unwrap().is_none());

    // A member the firm does not have.
    let third_dir = tempfile::tempdir().unwrap();
    let third = Store::open(&third_dir.path().join("advisor-desk.sqlite3")).unwrap();
    let stranger = MoveInPlan {
        firm_name: "Gil Patrimonios",
        advisor_role: "nobody_here",
    };
    let unknown = move_in(&third, &solo.keychain, &firm.admin, &stranger, &mut |_| {}).unwrap_err();
    assert_eq!(unknown.code(), "not_found", "{unknown}");

    assert_eq!(firm.everything(), after_first, "the refusals wrote nothing");
}
