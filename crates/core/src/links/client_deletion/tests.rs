//! Client deletion on a real SQLite file, the in-memory keychain and a provider that records
//! what it was asked to delete (the sandbox-backed end-to-end test covers the real provider).

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::*;
use crate::clients;
use crate::domain::{FailureKind, ProviderFailure};
use crate::links::provider::{LinkProviderApi, LinkRequest, LinkTarget, ReauthNeed};
use crate::links::LinkFlow;
use crate::secrets::{MemorySecretStore, Secret, SecretStore};
use crate::sync::connections;
use crate::sync::connections::NewConnection;
use crate::test_support;
use rusqlite::params;

/// Deletes what it is asked to once (then answers "already gone"); fails for one token.
#[derive(Default)]
struct RecordingProvider {
    deleted: Mutex<Vec<String>>,
    fail_for: Mutex<Option<String>>,
}

#[async_trait]
impl LinkProviderApi for RecordingProvider {
    fn provider(&self) -> Provider {
        Provider::Flanks
    }
    async fn link_url(&self, _: &LinkRequest<'_>) -> Result<LinkTarget, ProviderFailure> {
        Err(ProviderFailure::new(FailureKind::Configuration))
    }
    async fn reauth_need(&self, _: &crate::secrets::Secret) -> Result<ReauthNeed, ProviderFailure> {
        Ok(ReauthNeed::Healthy)
    }
    async fn delete_credential(
        &self,
        token: &crate::secrets::Secret,
    ) -> Result<DeleteResult, ProviderFailure> {
        if self.fail_for.lock().unwrap().as_deref() == Some(token.expose()) {
            return Err(ProviderFailure::new(FailureKind::ProviderUnavailable));
        }
        let mut deleted = self.deleted.lock().unwrap();
        if deleted.iter().any(|t| t == token.expose()) {
            return Ok(DeleteResult::AlreadyGone);
        }
        deleted.push(token.expose().to_string());
        Ok(DeleteResult::Deleted)
    }
}

struct Desk {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    secrets: Arc<MemorySecretStore>,
    provider: Arc<RecordingProvider>,
    links: LinkService,
}

fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap());
    let secrets = Arc::new(MemorySecretStore::new());
    let provider = Arc::new(RecordingProvider::default());
    let links = LinkService::new(
        store.clone(),
        secrets.clone(),
        vec![provider.clone() as Arc<dyn LinkProviderApi>],
        None,
    );
    Desk {
        _dir: dir,
        store,
        secrets,
        provider,
        links,
    }
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

impl Desk {
    fn client(&self, name: &str) -> i64 {
        test_support::client(&self.store, name)
    }

    /// A connection with one account (shared `dedupe_key`s make joint accounts), a holding,
    /// a transaction whose description is `word`, a liability, a card and a sync run.
    fn connected(&self, client: i64, token: &str, word: &str) -> i64 {
        let c = connections::add(
            &self.store,
            &NewConnection {
                client_id: client,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: Some("testbank".into()),
                institution_name: Some("Test Bank".into()),
            },
            &Secret::new(token),
            self.secrets.as_ref(),
            "t",
        )
        .unwrap();
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name, currency, balance_minor)
                     VALUES (?1, 'acc', 'joint-iban', 'current', 'Joint', 'EUR', 100)",
                    [c.id])?;
                let account = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO account_owners (account_id, owner_name) VALUES (?1, 'Owner')",
                    [account])?;
                tx.execute(
                    "INSERT INTO transactions (connection_id, account_id, provider_id, dedupe_key,
                         booking_date, amount_minor, currency, description, first_seen_at, last_seen_at)
                     VALUES (?1, ?2, 't1', 't1', '2026-01-02', -500, 'EUR', ?3, 'x', 'x')",
                    params![c.id, account, word])?;
                tx.execute(
                    "INSERT INTO holdings (connection_id, account_id, provider_id, dedupe_key, name,
                         asset_class, value_minor, currency)
                     VALUES (?1, ?2, 'h1', 'h1', 'Fund', 'equity', 1000, 'EUR')",
                    params![c.id, account])?;
                tx.execute(
                    "INSERT INTO liabilities (connection_id, provider_id, dedupe_key, kind, name, currency, balance_minor)
                     VALUES (?1, 'l1', 'l1', 'loan', 'Loan', 'EUR', 5)",
                    [c.id])?;
                tx.execute(
                    "INSERT INTO cards (connection_id, provider_id, dedupe_key, name) VALUES (?1, 'c1', 'c1', 'Card')",
                    [c.id])?;
                tx.execute(
                    "INSERT INTO sync_runs (connection_id, trigger, started_at) VALUES (?1, 'manual', 'x')",
                    [c.id])?;
                Ok(())
            })
            .unwrap();
        c.id
    }

    /// Rows of `table` in the whole database.
    fn count(&self, table: &str) -> i64 {
        self.store
            .read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?))
            .unwrap()
    }

    fn fts_hits(&self, word: &str) -> i64 {
        self.store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM transactions_fts WHERE transactions_fts MATCH ?1",
                    [word],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
    }

    fn actions(&self, client: i64) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .store
            .audit_log(1000)
            .unwrap()
            .into_iter()
            .filter(|e| e.client_id == Some(client))
            .map(|e| (e.action, e.detail))
            .collect();
        v.reverse();
        v
    }
}

fn file_bytes(path: &Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        all.extend(wal);
    }
    all
}

#[test]
fn deleting_a_client_removes_credentials_entries_and_rows_and_keeps_the_joint_owner() {
    let d = desk();
    let ana = d.client("Ana Ruiz");
    let luis = d.client("Luis Ruiz");
    d.connected(ana, "ct-ana-one-token", "anaspecialword");
    d.connected(ana, "ct-ana-two-token", "anaotherword");
    // Luis holds the same joint account through his own credential.
    let luis_conn = d.connected(luis, "ct-luis-token", "luisword");
    // An exchange of Ana's that left its code in the keychain.
    let session =
        test_support::start_session(&d.store, ana, LinkFlow::FlanksLink, crate::time::now());
    ledger::put_code(
        &d.store,
        d.secrets.as_ref(),
        session.session.id,
        &Secret::new("one-use-code"),
    )
    .unwrap();

    let done = run(d.links.delete_client(ana, false)).unwrap();
    assert_eq!(
        done,
        ClientDeletion {
            client_id: ana,
            connections_removed: 2,
            deleted_at_provider: 2,
            kept_at_provider: 0
        }
    );
    assert_eq!(
        *d.provider.deleted.lock().unwrap(),
        ["ct-ana-one-token", "ct-ana-two-token"]
    );
    // Only Luis's token is left in the keychain.
    assert_eq!(d.secrets.len(), 1);
    let luis_key = connections::get(&d.store, luis_conn)
        .unwrap()
        .secret_key()
        .unwrap();
    assert!(d.secrets.get(&luis_key).unwrap().is_some());
    // Ana's rows are gone, Luis's are all there.
    assert_eq!(
        clients::get(&d.store, ana).unwrap_err().code(),
        crate::ErrorCode::NotFound
    );
    for table in [
        "connections",
        "accounts",
        "account_owners",
        "transactions",
        "holdings",
        "liabilities",
        "cards",
        "sync_runs",
    ] {
        assert_eq!(d.count(table), 1, "{table}: only Luis's row is left");
    }
    assert_eq!(d.count("link_sessions"), 0);
    assert_eq!(d.fts_hits("anaspecialword"), 0);
    assert_eq!(d.fts_hits("luisword"), 1);
    // The trail stays: two connection removals and the deletion, no token, no name.
    let actions = d.actions(ana);
    let names: Vec<_> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names[names.len() - 3..],
        ["connection.removed", "connection.removed", "client.deleted"]
    );
    assert!(actions
        .last()
        .unwrap()
        .1
        .contains("2 deleted at the provider"));
    for (_, detail) in &actions {
        assert!(
            !detail.contains("ct-ana") && !detail.contains("Ana"),
            "{detail}"
        );
    }
    // Nothing of Ana's is left in the database file itself.
    drop(d.links);
    let path = d.store.path().unwrap().to_path_buf();
    let bytes = file_bytes(&path);
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("ct-ana-one-token"));
    assert_eq!(d.store.integrity_check().unwrap(), "ok");
}

#[test]
fn a_provider_failure_stops_at_that_connection_and_a_retry_finishes() {
    let d = desk();
    let ana = d.client("Ana");
    let first = d.connected(ana, "ct-first-token", "w1");
    let second = d.connected(ana, "ct-second-token", "w2");
    *d.provider.fail_for.lock().unwrap() = Some("ct-second-token".into());

    let e = run(d.links.delete_client(ana, false)).unwrap_err();
    assert_eq!(e.code(), "deletion_stopped");
    let msg = e.to_string();
    assert!(msg.contains(&format!("connection {second}")), "{msg}");
    assert!(
        msg.contains("Test Bank") && msg.contains("1 connection(s) were removed"),
        "{msg}"
    );
    assert!(!msg.contains("ct-second"), "{msg}");
    // The first is gone everywhere; the second and the client are untouched.
    assert!(connections::get(&d.store, first).is_err());
    let key = connections::get(&d.store, second)
        .unwrap()
        .secret_key()
        .unwrap();
    assert!(d.secrets.get(&key).unwrap().is_some());
    assert!(clients::get(&d.store, ana).is_ok());
    assert_eq!(d.count("transactions"), 1);

    *d.provider.fail_for.lock().unwrap() = None;
    let done = run(d.links.delete_client(ana, false)).unwrap();
    assert_eq!(done.connections_removed, 1);
    assert_eq!(done.deleted_at_provider, 1);
    assert!(clients::get(&d.store, ana).is_err());
    assert!(d.secrets.is_empty());
}

#[test]
fn delete_here_anyway_keeps_the_credential_at_the_provider_and_says_so() {
    let d = desk();
    let ana = d.client("Ana");
    d.connected(ana, "ct-stuck-token", "w");
    *d.provider.fail_for.lock().unwrap() = Some("ct-stuck-token".into());
    let done = run(d.links.delete_client(ana, true)).unwrap();
    assert_eq!(done.kept_at_provider, 1);
    assert_eq!(done.deleted_at_provider, 0);
    assert!(d.secrets.is_empty());
    assert!(clients::get(&d.store, ana).is_err());
    let actions = d.actions(ana);
    assert!(actions
        .iter()
        .any(|(a, detail)| a == "connection.removed" && detail.contains("kept at the provider")));
    assert!(actions.last().unwrap().1.contains("1 kept at the provider"));
}

#[test]
fn an_unconfigured_provider_stops_the_deletion_unless_deleted_here_anyway() {
    let d = desk();
    let ana = d.client("Ana");
    d.connected(ana, "ct-token", "w");
    let bare = LinkService::new(d.store.clone(), d.secrets.clone(), Vec::new(), None);
    let e = run(bare.delete_client(ana, false)).unwrap_err();
    assert_eq!(e.code(), "deletion_stopped");
    assert!(e.to_string().contains("not configured"), "{e}");
    assert!(clients::get(&d.store, ana).is_ok());
    assert_eq!(
        run(bare.delete_client(ana, true)).unwrap().kept_at_provider,
        1
    );
}

#[test]
fn a_crash_between_steps_leaves_a_state_the_retry_completes() {
    let d = desk();
    let ana = d.client("Ana");
    let deleted_remote = d.connected(ana, "ct-deleted-remotely", "w1");
    let entry_gone = d.connected(ana, "ct-entry-gone", "w2");
    // Crash after the provider deleted the first credential (entry and row still here)...
    run(d
        .provider
        .delete_credential(&Secret::new("ct-deleted-remotely")))
    .unwrap();
    // ...and after the keychain entry of the second was deleted (row still here).
    let key = connections::get(&d.store, entry_gone)
        .unwrap()
        .secret_key()
        .unwrap();
    run(d.provider.delete_credential(&Secret::new("ct-entry-gone"))).unwrap();
    d.secrets.delete(&key).unwrap();

    let done = run(d.links.delete_client(ana, false)).unwrap();
    assert_eq!(done.connections_removed, 2);
    assert_eq!(done.deleted_at_provider, 0, "both were already gone there");
    assert!(connections::get(&d.store, deleted_remote).is_err());
    assert!(d.secrets.is_empty());
    assert!(clients::get(&d.store, ana).is_err());
    // Running it once more is a clean not_found, not a half-done state.
    let again = run(d.links.delete_client(ana, false)).unwrap_err();
    assert_eq!(again.code(), "not_found");
}

#[test]
fn a_connection_mapped_meanwhile_keeps_the_client_until_it_is_removed_too() {
    let d = desk();
    let ana = d.client("Ana");
    d.connected(ana, "ct-late-token", "w");
    let e = delete_client_rows(&d.store, ana, "test").unwrap_err();
    assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
    assert!(clients::get(&d.store, ana).is_ok());
    assert_eq!(d.count("transactions"), 1);
}

#[test]
fn an_exchange_in_flight_for_the_client_refuses_the_deletion() {
    let d = desk();
    let ana = d.client("Ana");
    let s = test_support::start_session(&d.store, ana, LinkFlow::FlanksLink, crate::time::now());
    let busy = d.links.begin_flight(s.session.id).unwrap();
    let e = run(d.links.delete_client(ana, false)).unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert!(clients::get(&d.store, ana).is_ok());
    drop(busy);
    run(d.links.delete_client(ana, false)).unwrap();
    assert!(clients::get(&d.store, ana).is_err());
}

#[test]
fn an_unknown_client_is_not_found() {
    let d = desk();
    assert_eq!(
        run(d.links.delete_client(999, false)).unwrap_err().code(),
        "not_found"
    );
}

#[test]
fn a_checked_backup_holding_the_client_is_taken_before_the_deletion() {
    let d = desk();
    let ana = d.client("Ana Ruiz");
    d.connected(ana, "ct-ana-backup-token", "anabackupword");
    run(d.links.delete_client(ana, false)).unwrap();

    let db = d.store.path().unwrap();
    let before: Vec<_> = crate::store::backup_files(db)
        .unwrap()
        .into_iter()
        .filter(|f| f.kind == crate::store::BackupKind::BeforeDeletion)
        .collect();
    assert_eq!(before.len(), 1);
    let copy = rusqlite::Connection::open(&before[0].path).unwrap();
    let (name, connections): (String, i64) = copy
        .query_row(
            "SELECT name, (SELECT count(*) FROM connections WHERE client_id = ?1) FROM clients WHERE id = ?1",
            [ana],
            |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((name.as_str(), connections), ("Ana Ruiz", 1));
    assert!(
        crate::clients::get(&d.store, ana).is_err(),
        "and the client is gone here"
    );
}
