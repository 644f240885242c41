//! The review report on a real SQLite file: rendered to PDF, its text extracted with
//! `pdftotext` (poppler-utils) and checked against the read models, in each language, for a
//! client and a household; A4 and Letter; a partial total named as such.

use std::path::Path;
use std::process::Command;

use advisor_desk_core::domain::{Account, AccountKind, AssetClass, Holding, Snapshot};
use advisor_desk_core::households::household_overview;
use advisor_desk_core::money::Money;
use advisor_desk_core::rates::{ecb, record_fetched, RateSource};
use advisor_desk_core::reads::client_overview;
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::test_fixtures::{self as fixtures, money};
use advisor_desk_core::time::Timestamp;
use advisor_desk_core::Store;
use advisor_desk_report::settings::{ADVISOR_FIRM_SETTING, ADVISOR_NAME_SETTING, PAPER_SETTING};
use advisor_desk_report::{client_pdf, household_pdf, model, write_new_file, Lang, ReportSettings};
use chrono::{TimeZone, Utc};

const ECB_DAILY: &str = include_str!("../../core/src/rates/fixtures/eurofxref-daily.xml");

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

fn account(id: &str, number: &str, kind: AccountKind, m: Money, owners: &[&str]) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("Cuenta {id}"),
        identifier: Some(number.into()),
        balance: m,
        available: None,
        asset_class: None,
        owners: owners.iter().map(|o| o.to_string()).collect(),
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    ana: i64,
    household: i64,
}

fn connect(store: &Store, secrets: &MemorySecretStore, client_id: i64, n: u32, snap: Snapshot) {
    let at = now() - chrono::Duration::hours(i64::from(n));
    let (bank, token) = (format!("Banco {n}"), format!("report-token-{n}"));
    fixtures::ready_connection(store, secrets, client_id, &bank, &token, &snap, at);
}

fn snapshot(accounts: Vec<Account>, holdings: Vec<Holding>) -> Snapshot {
    fixtures::snapshot(accounts, holdings, vec![])
}

/// Ana: a joint EUR account (with Pedro), a EUR portfolio with two funds, a CAD account.
/// Pedro: the joint account through his own login, and a USD account. Both in one household.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    let secrets = MemorySecretStore::new();
    let add = |name: &str| fixtures::person(&store, name);
    let ana = add("Ana Ruiz");
    let pedro = add("Pedro Ruiz");
    let joint = "ES11 1111";
    let fund = |id: &str, isin: &str, minor: i64| Holding {
        provider_id: id.into(),
        account_ref: Some("p".into()),
        name: format!("Fondo Global {id}"),
        isin: Some(isin.into()),
        asset_class: AssetClass::Fund,
        units: Some(rust_decimal::Decimal::new(1_234_567, 3)),
        value: money(minor, "EUR"),
    };
    connect(
        &store,
        &secrets,
        ana,
        1,
        snapshot(
            vec![
                account(
                    "j",
                    joint,
                    AccountKind::Current,
                    money(1_250_000, "EUR"),
                    &["Ana Ruiz", "Pedro Ruiz"],
                ),
                account(
                    "p",
                    "ES22",
                    AccountKind::Portfolio,
                    money(1, "EUR"),
                    &["Ana Ruiz"],
                ),
                account(
                    "c",
                    "CA33",
                    AccountKind::Savings,
                    money(500_000, "CAD"),
                    &["Ana Ruiz"],
                ),
            ],
            vec![
                fund("h1", "IE00B4L5Y983", 3_000_000),
                fund("h2", "LU0274208692", 1_000_000),
            ],
        ),
    );
    connect(
        &store,
        &secrets,
        pedro,
        2,
        snapshot(
            vec![
                account(
                    "jj",
                    joint,
                    AccountKind::Current,
                    money(1_249_000, "EUR"),
                    &["Pedro Ruiz"],
                ),
                account(
                    "u",
                    "US44",
                    AccountKind::Savings,
                    money(217_000, "USD"),
                    &["Pedro Ruiz"],
                ),
            ],
            vec![],
        ),
    );
    let household = advisor_desk_core::households::create(&store, "Familia Ruiz", "test")
        .unwrap()
        .id;
    advisor_desk_core::households::add_member(&store, household, ana, "test").unwrap();
    advisor_desk_core::households::add_member(&store, household, pedro, "test").unwrap();
    advisor_desk_core::settings::set(&store, ADVISOR_NAME_SETTING, "Marta Gil").unwrap();
    advisor_desk_core::settings::set(&store, ADVISOR_FIRM_SETTING, "Gil Patrimonios").unwrap();
    let rates = ecb::parse(ECB_DAILY).unwrap();
    record_fetched(&store, RateSource::Ecb, &rates, now()).unwrap();
    Fixture {
        dir,
        store,
        ana,
        household,
    }
}

/// The PDF's text as `pdftotext -layout` extracts it, no-break spaces as spaces.
fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .replace('\u{a0}', " ")
}

fn pdf_pages_and_size(path: &Path) -> (u32, String) {
    let out = Command::new("pdfinfo").arg(path).output().unwrap();
    let info = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_default()
    };
    (field("Pages:").parse().unwrap(), field("Page size:"))
}

/// With `REPORT_SAMPLES_DIR` set, the PDFs are kept there to be looked at (the screenshots
/// in docs/screenshots/ come from them).
fn keep(path: &Path) {
    if let Ok(dir) = std::env::var("REPORT_SAMPLES_DIR") {
        std::fs::copy(path, Path::new(&dir).join(path.file_name().unwrap())).unwrap();
    }
}

fn has(text: &str, needle: &str) {
    let needle = needle.replace('\u{a0}', " ");
    assert!(
        text.contains(&needle),
        "{needle:?} not in the PDF text:\n{text}"
    );
}

#[test]
fn a_client_report_shows_the_read_models_figures_in_each_language() {
    let f = fixture();
    let overview = client_overview(&f.store, f.ana, now()).unwrap();
    for lang in Lang::ALL {
        let settings = ReportSettings::load(&f.store, Some(lang)).unwrap();
        let report = model::client_report(&f.store, f.ana, &settings, now()).unwrap();
        let path = f.dir.path().join(format!("ana-{}.pdf", lang.code()));
        write_new_file(
            &path,
            &client_pdf(&f.store, f.ana, &settings, now()).unwrap(),
        )
        .unwrap();
        keep(&path);
        let text = pdf_text(&path);

        has(&text, "Ana Ruiz");
        has(&text, "Marta Gil, Gil Patrimonios");
        has(&text, &lang.date(now().date_naive()));
        // The base total is the EUR net plus the CAD net at the ECB rate: nothing left out.
        let eur = overview
            .net_worth
            .iter()
            .find(|t| t.currency == "EUR")
            .unwrap();
        let cad = overview
            .net_worth
            .iter()
            .find(|t| t.currency == "CAD")
            .unwrap();
        assert_eq!(eur.net_minor, 1_250_000 + 4_000_000);
        let cad_in_eur = (rust_decimal::Decimal::new(cad.net_minor, 2)
            / rust_decimal::Decimal::new(14_720, 4))
        .round_dp(2);
        let expected =
            eur.net_minor + i64::try_from(cad_in_eur * rust_decimal::Decimal::from(100)).unwrap();
        assert_eq!(report.base_total.total_minor, expected);
        assert!(!report.base_total.partial);
        has(&text, &lang.money(expected, "EUR"));
        // Every currency's own figure stays visible, with its rate and the rate's date.
        has(&text, &lang.money(cad.net_minor, "CAD"));
        has(
            &text,
            &lang.short_date(chrono::NaiveDate::from_ymd_opt(2026, 3, 19).unwrap()),
        );
        for a in &overview.accounts {
            has(&text, &lang.money(a.balance_minor, &a.currency));
        }
        for h in &overview.holdings {
            has(&text, h.isin.as_deref().unwrap());
            has(&text, &lang.money(h.value_minor, &h.currency));
            has(&text, &lang.percent(h.weight_bp));
        }
        has(
            &text,
            &lang.decimal(rust_decimal::Decimal::new(1_234_567, 3), 3),
        );
        has(&text, lang.health(advisor_desk_core::reads::Health::Good));
        let (pages, size) = pdf_pages_and_size(&path);
        assert!(pages >= 2, "{pages}");
        has(
            &text,
            &match lang {
                Lang::En => format!("Page 1 of {pages}"),
                Lang::Es => format!("Página 1 de {pages}"),
                Lang::Fr => format!("Page 1 sur {pages}"),
            },
        );
        assert!(size.starts_with("595.28 x 841.89"), "{size}");
    }
    // Literal spellings, so a formatter bug cannot hide behind itself.
    let es = pdf_text(&f.dir.path().join("ana-es.pdf"));
    has(&es, "30.000,00 EUR");
    has(&es, "Revisión patrimonial");
    let fr = pdf_text(&f.dir.path().join("ana-fr.pdf"));
    has(&fr, "12 500,00 EUR");
    has(&fr, "Préparé le 20 mars 2026");
}

#[test]
fn a_household_report_counts_the_joint_account_once_and_says_what_it_leaves_out() {
    let f = fixture();
    let o = household_overview(&f.store, f.household, now()).unwrap();
    advisor_desk_core::settings::set(&f.store, PAPER_SETTING, "letter").unwrap();
    // SEK has no ECB rate in the cache: the total must say it is partial.
    f.store
        .write(|tx| {
            tx.execute("DELETE FROM reference_rates WHERE currency = 'USD'", [])?;
            Ok(())
        })
        .unwrap();
    let settings = ReportSettings::load(&f.store, Some(Lang::En)).unwrap();
    let path = f.dir.path().join("ruiz.pdf");
    write_new_file(
        &path,
        &household_pdf(&f.store, f.household, &settings, now()).unwrap(),
    )
    .unwrap();
    keep(&path);
    let text = pdf_text(&path);
    has(&text, "Familia Ruiz");
    has(&text, "Household members: Ana Ruiz, Pedro Ruiz");
    let eur = o.net_worth.iter().find(|t| t.currency == "EUR").unwrap();
    assert_eq!(
        eur.net_minor,
        1_250_000 + 4_000_000,
        "the joint account once"
    );
    has(&text, &Lang::En.money(eur.net_minor, "EUR"));
    has(
        &text,
        "Partial total: no usable exchange rate for 2,170.00 USD",
    );
    has(&text, "Not in the charts (no usable rate): USD");
    let joint_lines = text.lines().filter(|l| l.contains("Cuenta j")).count();
    assert_eq!(joint_lines, 1, "{text}");
    has(&text, "Ana Ruiz, Pedro Ruiz");
    let (_, size) = pdf_pages_and_size(&path);
    assert!(size.starts_with("612 x 792"), "{size}");
    // Never over an existing file.
    let again = household_pdf(&f.store, f.household, &settings, now()).unwrap();
    assert!(write_new_file(&path, &again).is_err());
}
