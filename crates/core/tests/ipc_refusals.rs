//! What the commands refuse, checked where the refusal is made: sizes, ids and references
//! each come back as a typed error (`invalid_input` / `not_found`) with a sentence, on a real
//! SQLite file.

use std::sync::Arc;

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::links::LinkService;
use advisor_desk_core::reads::export::{export_csv, ExportKind, MAX_EXPORT_PATH_LEN};
use advisor_desk_core::reads::{client_overview, transactions_page, TransactionQuery};
use advisor_desk_core::secrets::{MemorySecretStore, SecretStore};
use advisor_desk_core::{time, ErrorCode, Store};

fn store(dir: &tempfile::TempDir) -> Arc<Store> {
    Arc::new(Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap())
}

fn query(limit: u32) -> TransactionQuery {
    TransactionQuery {
        search: None,
        from: None,
        to: None,
        account_ids: Vec::new(),
        offset: 0,
        limit,
    }
}

#[test]
fn transaction_pages_refuse_bad_sizes_and_unknown_clients() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let ana = clients::add(
        &s,
        &NewClient {
            name: "Ana".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap()
    .id;
    assert_eq!(transactions_page(&s, ana, &query(50)).unwrap().total, 0);
    let refusals = [
        (query(0), "1 to 1000"),
        (query(1001), "1 to 1000"),
        (
            TransactionQuery {
                search: Some("é".repeat(201)),
                ..query(50)
            },
            "at most 200 characters",
        ),
        (
            TransactionQuery {
                account_ids: (1..=501).collect(),
                ..query(50)
            },
            "at most 500 accounts",
        ),
        (
            TransactionQuery {
                from: Some("2026-13-01".into()),
                ..query(50)
            },
            "is not a date",
        ),
    ];
    for (q, needle) in refusals {
        let e = transactions_page(&s, ana, &q).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{q:?}");
        assert!(e.to_string().contains(needle), "{e}");
    }
    for id in [0, -1, ana + 1, i64::MAX] {
        let e = transactions_page(&s, id, &query(50)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{id}");
        let e = client_overview(&s, id, time::now()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{id}");
    }
}

#[test]
fn export_paths_refuse_oversized_and_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let base = dir.path().display().to_string();
    let long = format!("{base}/{}.csv", "a".repeat(MAX_EXPORT_PATH_LEN));
    let control = format!("{base}/book\n.csv");
    for path in [long.as_str(), control.as_str(), "relative.csv"] {
        let e = export_csv(&s, ExportKind::Book, None, path, time::now()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{path}");
    }
    let e = export_csv(
        &s,
        ExportKind::Holdings,
        Some(42),
        &format!("{base}/h.csv"),
        time::now(),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[test]
fn link_commands_refuse_unknown_ids_and_malformed_references() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
    let links = LinkService::new(s, secrets, Vec::new(), None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for bad in [
        "",
        "x",
        &"A".repeat(64),
        &"a".repeat(65),
        &"0".repeat(10_000),
    ] {
        let e = rt
            .block_on(links.map_existing_credential(1, bad))
            .unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{bad:?}");
    }
    let e = rt
        .block_on(links.map_existing_credential(1, &"a".repeat(64)))
        .unwrap_err();
    assert_eq!(e.code(), "not_found");
    for id in [0, -5, 99] {
        assert_eq!(
            rt.block_on(links.delete_client(id, false))
                .unwrap_err()
                .code(),
            "not_found"
        );
        assert_eq!(
            rt.block_on(links.remove_connection(id)).unwrap_err().code(),
            "not_found"
        );
        assert_eq!(
            rt.block_on(links.start_reauthorize(id)).unwrap_err().code(),
            "not_found"
        );
    }
}
