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
    synced_solo_book_of(service, 0)
}

/// [`synced_solo_book`] with the sandbox's `set`th logins (set 0: Flanks 0 and 1, Flinks 0;
/// set 1: Flanks 2 and 3, Flinks 1), so two books hold different logins.
fn synced_solo_book_of(service: &str, set: usize) -> Solo {
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
        (
            ids[0],
            Provider::Flanks,
            "flanks_link",
            pick("flanks", 2 * set),
        ),
        (
            ids[1],
            Provider::Flinks,
            "flinks_connect",
            pick("flinks", set),
        ),
        (
            ids[2],
            Provider::Flanks,
            "flanks_link",
            pick("flanks", 2 * set + 1),
        ),
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

/// An object's ids set aside (`id`, `…_id`, `…_ids`): the firm renumbers a moved book, so a
/// page is compared on everything else, ids checked on their own.
fn ids_aside(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if key == "id" || key.ends_with("_id") || key.ends_with("_ids") {
                    *field = serde_json::Value::Null;
                } else {
                    ids_aside(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(ids_aside),
        _ => {}
    }
}

fn page<T: serde::Serialize>(page: Result<T, advisor_desk_core::CoreError>) -> serde_json::Value {
    let mut value = serde_json::to_value(page.unwrap()).unwrap();
    ids_aside(&mut value);
    value
}

/// A book's ids of one table, in order.
fn solo_ids(solo: &Solo, table: &str) -> Vec<i64> {
    solo.store
        .read(|c| {
            let mut s = c.prepare(&format!("SELECT id FROM {table} ORDER BY id"))?;
            let ids = s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(ids)
        })
        .unwrap()
}

/// A solo book's clients and households, by their solo ids.
struct SoloIds {
    clients: Vec<i64>,
    households: Vec<i64>,
}

impl SoloIds {
    fn of(solo: &Solo) -> SoloIds {
        SoloIds {
            clients: solo_ids(solo, "clients"),
            households: solo_ids(solo, "households"),
        }
    }
}

/// Every page of a book (the book, the health queue, the household, each client and its
/// transactions), ids aside; `firm_id` turns the solo ids the pages are asked by into the
/// engine's own.
fn book_pages(
    reads: &impl advisor_desk_core::store::book_reads::BookReads,
    solo: &SoloIds,
    firm_id: &dyn Fn(&str, i64) -> i64,
    now: advisor_desk_core::time::Timestamp,
) -> Vec<(String, serde_json::Value)> {
    use advisor_desk_core::households::overview::household_overview_from;
    use advisor_desk_core::reads::book::book_summary_from;
    use advisor_desk_core::reads::client::{client_overview_from, transactions_page_from};
    use advisor_desk_core::reads::health::health_queue_from;
    let mut pages = vec![
        ("book".into(), page(book_summary_from(reads, now))),
        ("health".into(), page(health_queue_from(reads, now))),
    ];
    for &household in &solo.households {
        let id = firm_id("households", household);
        pages.push((
            format!("household {household}"),
            page(household_overview_from(reads, id, now)),
        ));
    }
    for &client in &solo.clients {
        let id = firm_id("clients", client);
        pages.push((
            format!("client {client}"),
            page(client_overview_from(reads, id, now)),
        ));
        pages.push((
            format!("transactions of {client}"),
            page(transactions_page_from(
                reads,
                id,
                &advisor_desk_core::reads::client::TransactionQuery {
                    limit: 200,
                    ..Default::default()
                },
            )),
        ));
    }
    pages
}

/// A book's audit entries as (action, client, connection, detail), in order, by solo numbers
/// mapped through `firm_id` (None: the entry names none).
type AuditEntry = (String, Option<i64>, Option<i64>, String);

fn solo_audit(solo: &Solo) -> Vec<AuditEntry> {
    solo.store
        .read(|c| {
            let mut s = c.prepare(
                "SELECT action, client_id, connection_id, detail FROM audit_log ORDER BY id",
            )?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-firm --test move_in -- --include-ignored"]
fn two_advisors_move_their_books_into_one_firm_each_renumbered_and_whole() {
    let books = [
        synced_solo_book_of(&service("ana"), 0),
        synced_solo_book_of(&service("bea"), 1),
    ];
    let firm = firm_for(&books[0].keychain);
    // Bea's desktop holds the firm key too (she joined); each keychain holds its own book's.
    FirmKey::load(&books[0].keychain, &firm.id, 1)
        .unwrap()
        .save(&books[1].keychain, &firm.id)
        .unwrap();
    let bea = firm.book.add_member("bea", MemberKind::Advisor);
    let members = [&firm.ana, &bea];
    let now = advisor_desk_core::time::now();
    let before: Vec<_> = books
        .iter()
        .map(|solo| {
            let ids = SoloIds::of(solo);
            let pages = solo
                .store
                .read(|db| Ok(book_pages(db, &ids, &|_, id| id, now)))
                .unwrap();
            (pages, solo_audit(solo))
        })
        .collect();

    // Each advisor moves their own book from their desktop, as themselves.
    let stores: Vec<FirmStore> = members
        .iter()
        .map(|m| FirmStore::connect(&FirmDbConfig::new(firm.book.url_for(m))).unwrap())
        .collect();
    let mut reports = Vec::new();
    for ((solo, member), store) in books.iter().zip(members).zip(&stores) {
        let plan = MoveInPlan {
            firm_name: "Gil Patrimonios",
            advisor_role: &member.role,
        };
        let report = move_in(&solo.store, &solo.keychain, store, &plan, &mut |_| {}).unwrap();
        // Counts verified as for one book; the firm-wide keys are the administrator's to set.
        for table in TABLES {
            assert_eq!(
                report.rows[*table],
                solo.count(table) - i64::from(*table == "audit_log")
            );
        }
        assert_eq!(report.credentials_sealed, solo.tokens.len());
        assert_eq!(
            report.provider_keys.needs_the_administrator,
            ["flanks/client_secret"]
        );
        reports.push(report);
    }

    // Both books numbered their clients from 1; the firm gave each its own ids.
    let firm_clients: Vec<Vec<i64>> = reports.iter().map(|r| r.ids.firm_ids("clients")).collect();
    assert!(firm_clients[0]
        .iter()
        .all(|id| !firm_clients[1].contains(id)));
    assert_eq!(
        firm.count("SELECT count(*) FROM clients"),
        (firm_clients[0].len() + firm_clients[1].len()) as i64
    );
    for table in ["connections", "accounts", "transactions", "audit_log"] {
        let moved: i64 = books
            .iter()
            .map(|b| b.count(table) - i64::from(table == "audit_log"))
            .sum();
        let extra = if table == "audit_log" { 2 } else { 0 }; // one book.moved_in each
        assert_eq!(
            firm.count(&format!("SELECT count(*) FROM {table}")),
            moved + extra,
            "{table}"
        );
    }

    for (i, ((solo, report), store)) in books.iter().zip(&reports).zip(&stores).enumerate() {
        // Each advisor sees exactly their own clients, and their pages are the solo book's.
        let firm_id = |table: &str, id: i64| report.ids.firm_id(table, id).unwrap();
        let ids = SoloIds::of(solo);
        let after = store
            .reading(|r| Ok(book_pages(r, &ids, &firm_id, now)))
            .unwrap();
        assert_eq!(after.len(), before[i].0.len());
        for ((name, solo_page), (_, firm_page)) in before[i].0.iter().zip(&after) {
            assert_eq!(firm_page, solo_page, "book {i}: {name}");
        }
        let seen: Vec<i64> = store
            .reading(|r| advisor_desk_core::reads::book::book_summary_from(r, now))
            .unwrap()
            .clients
            .iter()
            .map(|c| c.client_id)
            .collect();
        let mut own = firm_clients[i].clone();
        own.sort_unstable();
        let mut seen_sorted = seen.clone();
        seen_sorted.sort_unstable();
        assert_eq!(seen_sorted, own, "advisor {i} sees exactly their clients");

        // Every secret opens, bound to its new row, to its keychain value.
        assert_secrets_open(store, solo, report);

        // The audit log came whole: every entry, in order, its client and connection the
        // firm's, the household it names the firm's.
        let solo_entries = &before[i].1;
        let firm_entries: Vec<AuditEntry> = store
            .read(|c| {
                Ok(c.query(
                    "SELECT action, client_id, connection_id, detail FROM audit_log
                     WHERE action <> $1 ORDER BY id",
                    &[&MOVED_IN_ACTION],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect())
            })
            .unwrap();
        let household = ids.households[0];
        let expected: Vec<AuditEntry> = solo_entries
            .iter()
            .map(|(action, client, connection, detail)| {
                (
                    action.clone(),
                    client.map(|c| firm_id("clients", c)),
                    connection.map(|c| firm_id("connections", c)),
                    detail.replace(
                        &format!("household {household}"),
                        &format!("household {}", firm_id("households", household)),
                    ),
                )
            })
            .collect();
        assert_eq!(firm_entries, expected, "book {i}'s audit log");
        assert!(expected.iter().any(|e| e.3.starts_with("household ")));
    }

    // A third move, of a book already moved, is refused as before and writes nothing.
    let everything = firm.everything();
    let again = move_in(
        &books[0].store,
        &books[0].keychain,
        &stores[0],
        &firm.plan(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(again.code(), "book_already_moved", "{again}");
    assert_eq!(firm.everything(), everything);

    // Another book holding a login the firm already has (Ana's, linked again on Bea's
    // desktop): the firm holds a login once, so it is refused, nothing written.
    let same_logins = synced_solo_book_of(&service("same-logins"), 0);
    FirmKey::load(&books[0].keychain, &firm.id, 1)
        .unwrap()
        .save(&same_logins.keychain, &firm.id)
        .unwrap();
    let plan = MoveInPlan {
        firm_name: "Gil Patrimonios",
        advisor_role: &bea.role,
    };
    let taken = move_in(
        &same_logins.store,
        &same_logins.keychain,
        &stores[1],
        &plan,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(taken.code(), "firm_rows_taken", "{taken}");
    assert!(taken.to_string().contains("connections"), "{taken}");
    assert_eq!(firm.everything(), everything);
    assert!(moved_to(&same_logins.store).unwrap().is_none());
}

/// A book with nothing synced, its settings set: enough for the settings' rule.
fn book_with_settings(frozen_after_days: i64, sca_days: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
    clients::add(
        &store,
        &NewClient {
            name: "Pere Vidal".into(),
            ..Default::default()
        },
        "advisor",
    )
    .unwrap();
    advisor_desk_core::sync::freshness::Freshness::set_frozen_after_days(&store, frozen_after_days)
        .unwrap();
    advisor_desk_core::settings::set(
        &store,
        advisor_desk_core::reads::consent::CONSENT_PERIOD_SETTING,
        sca_days,
    )
    .unwrap();
    (dir, store)
}

#[test]
#[ignore = "needs the Secret Service: KEYRING_HERMETIC=1 scripts/with-keyring.sh cargo test -p advisor-desk-firm --test move_in -- --include-ignored"]
fn the_first_book_s_settings_become_the_firm_s_and_a_later_book_s_are_listed() {
    let keychain = KeyringStore::new(service("settings"));
    let firm = firm_for(&keychain);
    let setting = |key: &str| -> Option<String> {
        firm.book
            .superuser()
            .query_opt("SELECT value FROM firm_settings WHERE key = $1", &[&key])
            .unwrap()
            .map(|r| r.get(0))
    };
    let (frozen, sca) = ("flinks.frozen_after_days", "consent.sca_period_days");

    // An advisor's move cannot set firm-wide rules: listed for the administrator.
    let ana = FirmStore::connect(&FirmDbConfig::new(firm.book.url_for(&firm.ana))).unwrap();
    let (_a, first) = book_with_settings(14, "120");
    let by_ana = move_in(&first, &keychain, &ana, &firm.plan(), &mut |_| {}).unwrap();
    assert_eq!(
        by_ana.book_settings.needs_the_administrator,
        [format!("{frozen} = 14"), format!("{sca} = 120")]
    );
    assert_eq!((setting(frozen), setting(sca)), (None, None));

    // The administrator's first book sets them.
    let (_b, second) = book_with_settings(10, "90");
    let by_admin = move_in(&second, &keychain, &firm.admin, &firm.plan(), &mut |_| {}).unwrap();
    assert_eq!(
        by_admin.book_settings.carried,
        [format!("{frozen} = 10"), format!("{sca} = 90")]
    );
    assert_eq!(setting(frozen).as_deref(), Some("10"));
    assert_eq!(setting(sca).as_deref(), Some("90"));

    // A later book's differing value is left and said; an equal one is already the firm's.
    let (_c, third) = book_with_settings(21, "90");
    let later = move_in(&third, &keychain, &firm.admin, &firm.plan(), &mut |_| {}).unwrap();
    assert!(later.book_settings.carried.is_empty());
    assert_eq!(
        later.book_settings.firm_has_its_own,
        [format!("{frozen} = 21")]
    );
    assert_eq!(setting(frozen).as_deref(), Some("10"));
}
