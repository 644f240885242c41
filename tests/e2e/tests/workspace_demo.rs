//! The advisor's workspace on the sandbox's demo book, through the real app: a fresh data
//! folder in sandbox mode (the default), the Book's demo offer, the first sync, a Spanish
//! client's transactions filtered with a word of their own descriptions, the CSV export checked
//! on disk, then Spanish. And dark mode: started with a dark desktop theme, the app's colours
//! follow the OS (screenshots of every main screen in docs/screenshots/).

use advisor_desk_core::test_fixtures::snapshot;
use std::path::Path;
use std::time::Duration;

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::{
    Account, AccountKind, AssetClass, Holding, Provider, Snapshot, Transaction,
};
use advisor_desk_core::money::{Currency, Money};
use advisor_desk_core::secrets::{MemorySecretStore, Secret};
use advisor_desk_core::settings;
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{write_snapshot, NewConnection};
use advisor_desk_core::{time, Store};
use advisor_desk_e2e::ui::{click, doc_shot, js, text, wait_js, BOOK_SYNCED};
use advisor_desk_e2e::{artifacts_dir, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use chrono::{Duration as Days, NaiveDate};
use serde_json::json;

/// The demo book's first sync (every seeded credential of the sandbox) on a busy machine.
const SYNCED: Duration = Duration::from_secs(180);

/// The number in "1,234 transactions" (any locale's grouping).
fn count_of(label: &str) -> u64 {
    let digits: String = label.chars().filter(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count in {label:?}"))
}

fn tx_total(app: &RunningApp, name: &str, pred: impl Fn(u64) -> bool) -> u64 {
    let label = app
        .session
        .wait_for_text("[data-testid=tx-total]", ACTION, |t| {
            t.chars().any(|c| c.is_ascii_digit()) && pred(count_of(t))
        })
        .unwrap_or_else(|e| app.fail(name, &format!("transactions total: {e}")));
    count_of(&label)
}

/// The visible rows' descriptions and, among their words (letters only, 4+ long, spelled as
/// in the description), the one found in the fewest rows: `{rows, word, count, description}`.
const PICK_WORD: &str = "const fold = s => s.normalize('NFD').replace(/\\p{M}/gu, '').toLowerCase();
    const descs = [...document.querySelectorAll('[data-testid=tx-row] .desc')].map(e => e.title);
    const seen = new Map();
    for (const d of descs) {
      for (const w of new Set(d.split(/[^\\p{L}]+/u).filter(w => w.length >= 4))) {
        const key = fold(w);
        const e = seen.get(key) || { word: w, description: d, count: 0 };
        e.count++;
        seen.set(key, e);
      }
    }
    const best = [...seen.values()].sort((a, b) => a.count - b.count || b.word.length - a.word.length)[0];
    return best ? { rows: descs.length, ...best } : { rows: descs.length };";

/// The RFC 4180 records of `csv` (CRLF-terminated; quoted fields may hold CR/LF).
fn csv_records(csv: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
            out.push(std::mem::take(&mut cur));
            continue;
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn check_csv(path: &Path, total: u64, word: &str) {
    let bytes = std::fs::read(path).unwrap();
    let csv = String::from_utf8(bytes).expect("the export is UTF-8");
    let records = csv_records(&csv);
    assert_eq!(
        records[0],
        "date,account,description,counterparty,category,amount,currency,balance_after,status"
    );
    assert_eq!(
        records.len() as u64,
        total + 1,
        "one record per transaction in the table's total, plus the header"
    );
    for r in &records[1..] {
        let date = r.get(..10).unwrap_or(r);
        assert!(
            NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
                && r.as_bytes().get(10) == Some(&b','),
            "not an ISO date first: {r}"
        );
    }
    assert!(
        csv.contains(word),
        "the searched word {word:?} is in the export"
    );
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn demo_book_client_filter_export_and_language() {
    const NAME: &str = "workspace-demo";
    let home = AppHome::new();
    let app = RunningApp::start_until(&home, NAME, "[data-testid=demo-book-offer]");
    let s = &app.session;
    // The webview's first capture of a session can be a stale first paint.
    s.screenshot(&artifacts_dir().join(format!("{NAME}-warmup.png")))
        .unwrap();

    // A fresh data folder in sandbox mode: the Book offers the demo book; load it.
    assert_eq!(text(&app, NAME, "h1"), "Book");
    click(&app, NAME, "[data-testid=load-demo-book]");
    let rows = wait_js(&app, NAME, "the demo book synced", BOOK_SYNCED, SYNCED);
    let rows = rows.as_u64().unwrap();
    assert!(rows >= 2, "the sandbox's clients are listed: {rows}");
    assert!(
        s.find_all("[data-testid=demo-book-offer]")
            .unwrap()
            .is_empty(),
        "the offer is gone once the book has clients"
    );
    doc_shot(s, "demo-book");

    // Spanish clients (EUR totals), the wealthiest first: open the first with transactions.
    let spanish = js(
        s,
        "const eur = r => Number(r.querySelector('[data-testid=book-value] [data-currency=EUR]')
             ?.textContent.replace(/[^0-9-]/g, '') ?? NaN);
         return [...document.querySelectorAll('[data-testid=book-row]')].filter(r => !Number.isNaN(eur(r)))
             .sort((a, b) => eur(b) - eur(a)).map(r => [Number(r.dataset.clientId), r.querySelector('[data-testid=book-name]').textContent.trim()]);",
    );
    let spanish = spanish.as_array().unwrap().clone();
    assert!(!spanish.is_empty(), "the demo book has Spanish clients");
    let mut chosen = None;
    for c in &spanish {
        let (id, name) = (c[0].as_i64().unwrap(), c[1].as_str().unwrap().to_string());
        s.execute(&format!("location.hash = '#/client/{id}'"), vec![])
            .unwrap();
        s.wait_for_text("[data-testid=client-name]", ACTION, |t| t == name)
            .unwrap_or_else(|e| app.fail(NAME, &format!("client page of {name}: {e}")));
        let total = tx_total(&app, NAME, |_| true);
        if total >= 2 {
            chosen = Some((id, name, total));
            break;
        }
    }
    let (id, name, total) =
        chosen.unwrap_or_else(|| app.fail(NAME, "no Spanish demo client has transactions"));
    eprintln!("client {id} {name}: {total} transactions");
    s.wait_for_css("[data-testid=tx-row]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("transaction rows: {e}")));
    doc_shot(s, "demo-client");

    // Filter with a word read from the client's own transactions (full-text, in the core).
    let pick = js(s, PICK_WORD);
    let word = pick["word"]
        .as_str()
        .unwrap_or_else(|| app.fail(NAME, &format!("no word to search in {pick}")))
        .to_string();
    assert!(
        pick["count"].as_u64().unwrap() < pick["rows"].as_u64().unwrap(),
        "a word that not every row has: {pick}"
    );
    eprintln!("searching {word:?} (from {:?})", pick["description"]);
    s.send_keys(&s.find("[data-testid=tx-search]").unwrap(), &word)
        .unwrap();
    let filtered = tx_total(&app, NAME, |n| n > 0 && n < total);
    let shown = wait_js(
        &app,
        NAME,
        "only matching rows",
        &format!(
            "const fold = s => s.normalize('NFD').replace(/\\p{{M}}/gu, '').toLowerCase();
             const w = fold({});
             const d = [...document.querySelectorAll('[data-testid=tx-row] .desc')].map(e => e.title);
             return d.length > 0 && d.every(x => fold(x).includes(w)) ? d : null;",
            json!(word)
        ),
        ACTION,
    );
    let shown = shown.as_array().unwrap();
    assert!(shown.len() as u64 <= filtered, "{shown:?}");
    shot_artifact(s, "workspace-demo-filtered");

    // Clear the filter, export every transaction as CSV and check the file.
    click(&app, NAME, "[data-testid=tx-clear]");
    tx_total(&app, NAME, |n| n == total);
    click(&app, NAME, "[data-testid=export-transactions-open]");
    let path = wait_js(
        &app,
        NAME,
        "a suggested path",
        "return document.querySelector('[data-testid=export-transactions-path]')?.value || null",
        ACTION,
    );
    let path = path.as_str().unwrap().to_string();
    assert!(
        path.starts_with(&home.data_dir().join("exports").display().to_string())
            && path.ends_with(".csv"),
        "{path}"
    );
    click(&app, NAME, "[data-testid=export-transactions-save]");
    s.wait_for_css("[data-testid=export-transactions-done]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("export: {e}")));
    assert_eq!(
        text(&app, NAME, "[data-testid=export-transactions-written]"),
        path
    );
    check_csv(Path::new(&path), total, &word);

    // Spanish: the section label and the net worth's formatting follow.
    js(
        s,
        "document.querySelector('main')?.scrollTo(0, 0); return 1",
    );
    assert_eq!(text(&app, NAME, "#tx-title"), "Transactions");
    let nw = "[data-testid=net-worth][data-currency=EUR] .nw-value";
    let en = text(&app, NAME, nw);
    click(&app, NAME, "[data-testid=language-switcher]");
    click(
        &app,
        NAME,
        "[data-testid=language-switcher] option[value=es]",
    );
    s.wait_for_text("#tx-title", ACTION, |t| t == "Movimientos")
        .unwrap_or_else(|e| app.fail(NAME, &format!("Spanish label: {e}")));
    let es = s
        .wait_for_text(nw, ACTION, |t| t.ends_with('€'))
        .unwrap_or_else(|e| app.fail(NAME, &format!("Spanish figure: {e}")));
    let digits = |t: &str| t.chars().filter(char::is_ascii_digit).collect::<String>();
    assert_ne!(en, es);
    assert_eq!(digits(&en), digits(&es), "{en} / {es}");
    assert!(
        en.contains('€') && !en.ends_with('€') && en.rsplit_once('.').unwrap().1.len() == 2,
        "English: {en}"
    );
    // Spanish puts the symbol after the figure, separated by a (no-break) space.
    let es_plain = es.replace('\u{a0}', " ");
    assert!(
        es_plain.ends_with(" €")
            && es_plain
                .trim_end_matches(" €")
                .rsplit_once(',')
                .is_some_and(|(_, cents)| cents.len() == 2),
        "Spanish: {es:?}"
    );
    app.quit();
}

fn shot_artifact(s: &Session, name: &str) {
    std::thread::sleep(Duration::from_millis(600));
    s.screenshot(&artifacts_dir().join(format!("{name}.png")))
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Dark mode, on data prepared with the core before the app starts.

/// Setting the app's daily refresh reads: "now", so it does not start during the test (the
/// prepared connections have no keychain entry).
const LAST_SCHEDULED: &str = "sync.last_scheduled_at";

fn money(minor: i64, cur: &str) -> Money {
    Money {
        minor,
        currency: Currency::parse(cur).unwrap(),
    }
}

fn account(id: &str, kind: AccountKind, minor: i64, cur: &str, owners: &[&str]) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!("Cuenta {id}"),
        identifier: Some(format!("ES00 {id}")),
        balance: money(minor, cur),
        available: None,
        asset_class: None,
        owners: owners.iter().map(|o| o.to_string()).collect(),
    }
}

/// A working client with history and holdings, one waiting for the client's SCA, three
/// failing at one bank (an outage), one needing the advisor. Returns the working client's id.
fn seed_dark(home: &AppHome) -> i64 {
    let store = Store::open(&home.database()).expect("open the app's database");
    settings::set(&store, LAST_SCHEDULED, &time::to_db(time::now())).unwrap();
    let secrets = MemorySecretStore::new();
    let client = |name: &str| {
        clients::add(
            &store,
            &NewClient {
                name: name.into(),
                ..Default::default()
            },
            "e2e",
        )
        .unwrap()
        .id
    };
    let mut n = 0;
    let mut connect = |client: i64, bank: &str, snap: &Snapshot, status: &str, by: &str| {
        n += 1;
        let id = connections::add(
            &store,
            &NewConnection {
                client_id: client,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: Some(bank.to_lowercase().replace(' ', "_")),
                institution_name: Some(bank.into()),
            },
            &Secret::new(format!("e2e-dark-token-{n}")),
            &secrets,
            "e2e",
        )
        .unwrap()
        .id;
        let now = time::now();
        let ok = now - Days::hours(if status == "ready" { 2 } else { 50 });
        // A failing connection was tried recently (the health queue groups recent failures
        // at one bank into an outage).
        let attempt = if status == "ready" {
            ok
        } else {
            now - Days::minutes(30)
        };
        store
            .write(|tx| {
                write_snapshot(tx, id, snap, ok)?;
                tx.execute(
                    "UPDATE connections SET status = ?2, action_by = ?3, last_success_at = ?4,
                         data_as_of = ?4, last_attempt_at = ?5 WHERE id = ?1",
                    rusqlite::params![id, status, by, time::to_db(ok), time::to_db(attempt)],
                )?;
                Ok(())
            })
            .unwrap();
    };
    let today = time::now().date_naive();
    let ana = client("Ana Ruiz");
    let txns = (0..120u32)
        .map(|i| {
            let (amount, desc) = match i % 10 {
                0 => (-95_000, "Alquiler piso".to_string()),
                1 => (250_000, "Nómina".to_string()),
                _ => (-(1_000 + i64::from(i) * 13), format!("Compra tarjeta {i}")),
            };
            Transaction {
                provider_id: format!("t{i}"),
                account_ref: "j".into(),
                booking_date: today - Days::days(i64::from(i) * 3),
                value_date: None,
                amount: money(amount, "EUR"),
                balance_after: None,
                description: desc,
                category: None,
                counterparty: None,
            }
        })
        .collect();
    let holding = |id: &str, name: &str, class: AssetClass, minor: i64| Holding {
        provider_id: id.into(),
        account_ref: Some("p".into()),
        name: name.into(),
        isin: None,
        asset_class: class,
        units: None,
        value: money(minor, "EUR"),
    };
    let snap = snapshot(
        vec![
            account(
                "j",
                AccountKind::Current,
                500_000,
                "EUR",
                &["Ana Ruiz", "Pedro Ruiz"],
            ),
            account("p", AccountKind::Portfolio, 0, "EUR", &["Ana Ruiz"]),
            account("c", AccountKind::Savings, 300_000, "CAD", &["Ana Ruiz"]),
        ],
        vec![
            holding("h1", "World Index Fund", AssetClass::Fund, 750_000),
            holding("h2", "Bono Estado 2030", AssetClass::FixedIncome, 250_000),
        ],
        txns,
    );
    connect(ana, "Banco Uno", &snap, "ready", "nobody");
    let one = |id: &str, who: &str| {
        snapshot(
            vec![account(id, AccountKind::Current, 80_000, "EUR", &[who])],
            vec![],
            vec![],
        )
    };
    let luis = client("Luis Gómez");
    connect(
        luis,
        "Banco Uno",
        &one("l", "Luis Gómez"),
        "pending_sca",
        "client",
    );
    for (i, name) in ["Carmen Vidal", "Diego Sanz", "Elena Mora"]
        .iter()
        .enumerate()
    {
        let c = client(name);
        connect(
            c,
            "Banco Caído",
            &one(&format!("o{i}"), name),
            "retry_later",
            "nobody",
        );
    }
    let dora = client("Dora Prieto");
    connect(
        dora,
        "Banco Tres",
        &one("d", "Dora Prieto"),
        "needs_advisor",
        "advisor",
    );
    client("Nuevo Cliente");
    ana
}

/// `rgb(r, g, b)` → relative luminance (0 black … 1 white).
fn luminance(css: &str) -> f64 {
    let n: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|p| p.trim().parse::<f64>().unwrap() / 255.0)
        .collect();
    0.2126 * n[0] + 0.7152 * n[1] + 0.0722 * n[2]
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn dark_desktop_theme_darkens_every_screen() {
    const NAME: &str = "workspace-dark";
    let home = AppHome::new();
    let ana = seed_dark(&home);
    let app = RunningApp::start_with_env(
        &home,
        NAME,
        "[data-testid=book-table]",
        &[("GTK_THEME", "Adwaita:dark")],
    );
    let s = &app.session;
    shot_artifact(s, "workspace-dark-warmup");

    // The webview reports the OS preference and the tokens switch: a dark page, light text.
    let colours = js(
        s,
        "const b = getComputedStyle(document.body);
         return [matchMedia('(prefers-color-scheme: dark)').matches, b.backgroundColor, b.color];",
    );
    assert_eq!(colours[0], json!(true), "prefers-color-scheme: {colours}");
    let (bg, fg) = (
        luminance(colours[1].as_str().unwrap()),
        luminance(colours[2].as_str().unwrap()),
    );
    assert!(
        bg < 0.1 && fg > 0.7,
        "dark background, light text: {colours}"
    );

    wait_js(
        &app,
        NAME,
        "7 book rows",
        "return document.querySelectorAll('[data-testid=book-row]').length === 7",
        ACTION,
    );
    doc_shot(s, "book-dark");

    s.execute(&format!("location.hash = '#/client/{ana}'"), vec![])
        .unwrap();
    s.wait_for_css("[data-testid=tx-row]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("client page: {e}")));
    doc_shot(s, "client-dark");
    js(s, "document.querySelector('[data-testid=accounts-table]').scrollIntoView({block: 'start'}); return 1");
    doc_shot(s, "client-accounts-dark");

    click(&app, NAME, "[data-testid=nav-health]");
    s.wait_for_css("[data-testid=outage]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("health queue: {e}")));
    doc_shot(s, "health-dark");

    click(&app, NAME, "[data-testid=nav-settings]");
    s.wait_for_css("[data-testid=settings-screen]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("settings: {e}")));
    s.wait_for_css("[data-testid=sandbox-url]", ACTION)
        .unwrap_or_else(|e| app.fail(NAME, &format!("settings: {e}")));
    doc_shot(s, "settings-dark");
    app.quit();
}
