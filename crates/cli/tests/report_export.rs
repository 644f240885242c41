//! `report` and `export` as a scheduled job would run them: the real binary on a real SQLite
//! file (seeded through the core library, as a sync would leave it), real PDF and CSV files,
//! the rates fetched from an in-process sandbox (sandbox mode is the default).

use std::path::Path;
use std::process::{Command, Output};

use advisor_desk_core::domain::{Account, AccountKind, AssetClass, Holding, Transaction};
use advisor_desk_core::money::{Currency, Money};
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::test_fixtures as fixtures;
use advisor_desk_core::{paths, time, Store};

fn cli(data_dir: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(args)
        .current_dir(cwd)
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

fn eur(minor: i64) -> Money {
    fixtures::money(minor, "EUR")
}

/// Two clients sharing a joint account (each through their own login), one with a fund and
/// a CAD account; both in one household. Returns (ana, luis, household).
fn seed(data_dir: &Path) -> (i64, i64, i64) {
    let store = Store::open(&paths::database_path(data_dir)).unwrap();
    let secrets = MemorySecretStore::new();
    let mut ids = vec![];
    for (n, name) in ["Ana Ruiz", "Luis Ruiz"].iter().enumerate() {
        let id = fixtures::person(&store, name);
        let mut accounts = vec![Account {
            provider_id: format!("j{n}"),
            kind: AccountKind::Current,
            name: "Cuenta conjunta".into(),
            identifier: Some("ES11 2222".into()),
            balance: eur(800_000),
            available: None,
            asset_class: None,
            owners: vec![name.to_string()],
        }];
        let mut holdings = vec![];
        if n == 0 {
            let mut p = accounts[0].clone();
            p.provider_id = "p".into();
            p.kind = AccountKind::Portfolio;
            p.identifier = Some("ES33".into());
            p.name = "Cartera".into();
            accounts.push(p);
            let mut cad = accounts[0].clone();
            cad.provider_id = "c".into();
            cad.identifier = Some("CA44".into());
            cad.name = "Cuenta en CAD".into();
            cad.balance.currency = Currency::parse("CAD").unwrap();
            accounts.push(cad);
            holdings.push(Holding {
                provider_id: "h".into(),
                account_ref: Some("p".into()),
                name: "Fondo Mundial".into(),
                isin: Some("IE00B4L5Y983".into()),
                asset_class: AssetClass::Fund,
                units: None,
                value: eur(2_000_000),
            });
        }
        let txns = vec![Transaction {
            provider_id: format!("t{n}"),
            account_ref: format!("j{n}"),
            booking_date: chrono::Utc::now().date_naive(),
            value_date: None,
            amount: eur(-4_550),
            balance_after: None,
            description: "=Cena, \"La Tasca\"".into(),
            category: None,
            counterparty: None,
        }];
        let snap = fixtures::snapshot(accounts, holdings, txns);
        let token = format!("cli-token-{n}");
        fixtures::ready_connection(
            &store,
            &secrets,
            id,
            "Banco Uno",
            &token,
            &snap,
            time::now(),
        );
        ids.push(id);
    }
    let h = advisor_desk_core::households::create(&store, "Familia Ruiz", "test")
        .unwrap()
        .id;
    (ids[0], ids[1], h)
}

fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{a0}', " ")
}

#[test]
fn reports_for_a_client_a_household_and_the_whole_book() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (ana, luis, h) = seed(data.path());
    let d = data.path();
    let w = work.path();
    // Households through the CLI itself.
    ok(&cli(
        d,
        w,
        &[
            "households",
            "add-member",
            &h.to_string(),
            "--client",
            &ana.to_string(),
        ],
    ));
    ok(&cli(
        d,
        w,
        &[
            "households",
            "add-member",
            &h.to_string(),
            "--client",
            &luis.to_string(),
        ],
    ));
    let list = ok(&cli(d, w, &["households", "list"]));
    assert!(
        list.contains("Familia Ruiz  [Ana Ruiz, Luis Ruiz]"),
        "{list}"
    );

    // One client, in Spanish: rates fetched from the sandbox, so the CAD is converted.
    let out = ok(&cli(
        d,
        w,
        &[
            "report",
            "--client",
            &ana.to_string(),
            "--out",
            "ana.pdf",
            "--lang",
            "es",
        ],
    ));
    assert!(out.contains("ana.pdf"), "{out}");
    let text = pdf_text(&w.join("ana.pdf"));
    assert!(
        text.contains("Revisión patrimonial") && text.contains("Ana Ruiz"),
        "{text}"
    );
    assert!(text.contains("8.000,00 CAD"), "{text}");
    assert!(
        text.contains("tipos de referencia del euro del BCE"),
        "{text}"
    );
    assert!(!text.contains("Total parcial"), "{text}");

    // The household: the joint account once (8 000 + 20 000 EUR + the CAD converted).
    ok(&cli(
        d,
        w,
        &[
            "report",
            "--household",
            &h.to_string(),
            "--out",
            "ruiz.pdf",
            "--offline",
        ],
    ));
    let text = pdf_text(&w.join("ruiz.pdf"));
    assert!(
        text.contains("Household members: Ana Ruiz, Luis Ruiz"),
        "{text}"
    );
    assert!(text.contains("28,000.00 EUR"), "{text}");
    assert_eq!(text.matches("Cuenta conjunta").count(), 1, "{text}");

    // Never over an existing file: exit 4, the file untouched.
    let before = std::fs::read(w.join("ruiz.pdf")).unwrap();
    let again = cli(
        d,
        w,
        &[
            "report",
            "--household",
            &h.to_string(),
            "--out",
            "ruiz.pdf",
            "--offline",
        ],
    );
    assert_eq!(again.status.code(), Some(4));
    assert_eq!(std::fs::read(w.join("ruiz.pdf")).unwrap(), before);
    let missing = cli(
        d,
        w,
        &["report", "--client", "999", "--out", "x.pdf", "--offline"],
    );
    assert_eq!(missing.status.code(), Some(3));

    // The whole book: one household and two clients.
    let all = ok(&cli(
        d,
        w,
        &[
            "--json",
            "report",
            "--all",
            "--out-dir",
            "book",
            "--offline",
        ],
    ));
    let written: serde_json::Value = serde_json::from_str(&all).unwrap();
    let files = written["written"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{all}");
    let mut names: Vec<String> = std::fs::read_dir(w.join("book"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("client-{ana}-ana-ruiz.pdf"),
            format!("client-{luis}-luis-ruiz.pdf"),
            format!("household-{h}-familia-ruiz.pdf"),
        ]
    );
    for n in names {
        let bytes = std::fs::read(w.join("book").join(n)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
}

#[test]
fn exports_write_the_apps_csv_for_a_client_a_household_and_the_book() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let (ana, luis, h) = seed(data.path());
    let (d, w) = (data.path(), work.path());
    ok(&cli(
        d,
        w,
        &[
            "households",
            "add-member",
            &h.to_string(),
            "--client",
            &ana.to_string(),
        ],
    ));
    ok(&cli(
        d,
        w,
        &[
            "households",
            "add-member",
            &h.to_string(),
            "--client",
            &luis.to_string(),
        ],
    ));

    let out = ok(&cli(
        d,
        w,
        &[
            "export",
            "transactions",
            "--household",
            &h.to_string(),
            "--out",
            "ruiz.csv",
        ],
    ));
    assert!(out.starts_with("Wrote 1 rows"), "{out}");
    let csv = std::fs::read_to_string(w.join("ruiz.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        2,
        "the joint account's dinner once: {csv}"
    );
    // The app's formula defusing and quoting.
    assert!(
        csv.contains(",Cuenta conjunta,\"'=Cena, \"\"La Tasca\"\"\",,,-45.50,EUR,,active\r\n"),
        "{csv}"
    );

    ok(&cli(
        d,
        w,
        &[
            "export",
            "holdings",
            "--client",
            &ana.to_string(),
            "--out",
            "ana.csv",
        ],
    ));
    let holdings = std::fs::read_to_string(w.join("ana.csv")).unwrap();
    assert!(
        holdings.starts_with("name,isin,asset_class,units,value,currency,weight_percent,as_of\r\n")
    );
    assert!(
        holdings.contains("Fondo Mundial,IE00B4L5Y983,fund,,20000.00,EUR,100.00,"),
        "{holdings}"
    );

    ok(&cli(d, w, &["export", "book", "--out", "book.csv"]));
    let book = std::fs::read_to_string(w.join("book.csv")).unwrap();
    assert_eq!(
        book.lines().count(),
        1 + 3,
        "Ana (EUR, CAD) and Luis (EUR): {book}"
    );

    let refused = cli(
        d,
        w,
        &[
            "export",
            "book",
            "--client",
            &ana.to_string(),
            "--out",
            "b2.csv",
        ],
    );
    assert_eq!(refused.status.code(), Some(4));
    let again = cli(d, w, &["export", "book", "--out", "book.csv"]);
    assert_eq!(again.status.code(), Some(4), "never overwritten");
    let no_client = cli(d, w, &["export", "holdings", "--out", "h.csv"]);
    assert_eq!(no_client.status.code(), Some(4));
}
