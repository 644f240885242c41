//! The advisor's workspace through the real app: the data folder is prepared with the core
//! itself (clients, connections, snapshots written by the sync engine's snapshot writer),
//! then the app is started on it. Open the book, open a client, filter transactions, export a
//! CSV and check the file, see the health queue, switch language.
//!
//! `workspace_bench_50k_transactions` is the measurement recorded in BENCHMARKS.md.

use advisor_desk_core::test_fixtures::snapshot;
use std::path::Path;
use std::time::{Duration, Instant};

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
use advisor_desk_e2e::{artifacts_dir, AppHome, RunningApp, ACTION};
use advisor_desk_testkit::webdriver::Session;
use chrono::{Duration as Days, NaiveDate};
use serde_json::{json, Value};

/// Setting the app's daily refresh reads: set to "now" so it does not start during a test
/// (the prepared connections have no keychain entry for the app to use).
const LAST_SCHEDULED: &str = "sync.last_scheduled_at";

fn money(minor: i64, cur: &str) -> Money {
    Money {
        minor,
        currency: Currency::parse(cur).unwrap(),
    }
}

fn account(
    id: &str,
    iban: &str,
    kind: AccountKind,
    minor: i64,
    cur: &str,
    owners: &[&str],
) -> Account {
    Account {
        provider_id: id.into(),
        kind,
        name: format!(
            "{} {id}",
            match kind {
                AccountKind::Current => "Cuenta",
                AccountKind::Savings => "Savings",
                _ => "Cartera",
            }
        ),
        identifier: Some(iban.into()),
        balance: money(minor, cur),
        available: None,
        asset_class: None,
        owners: owners.iter().map(|o| o.to_string()).collect(),
    }
}

fn txn(
    id: String,
    acct: &str,
    date: NaiveDate,
    minor: i64,
    cur: &str,
    desc: String,
) -> Transaction {
    Transaction {
        provider_id: id,
        account_ref: acct.into(),
        booking_date: date,
        value_date: None,
        amount: money(minor, cur),
        balance_after: None,
        description: desc,
        category: None,
        counterparty: None,
    }
}

struct Seeder {
    store: Store,
    secrets: MemorySecretStore,
    n: u32,
}

impl Seeder {
    fn open(home: &AppHome) -> Seeder {
        let store = Store::open(&home.database()).expect("open the app's database");
        settings::set(&store, LAST_SCHEDULED, &time::to_db(time::now())).unwrap();
        Seeder {
            store,
            secrets: MemorySecretStore::new(),
            n: 0,
        }
    }

    fn client(&self, name: &str) -> i64 {
        clients::add(
            &self.store,
            &NewClient {
                name: name.into(),
                ..Default::default()
            },
            "e2e",
        )
        .unwrap()
        .id
    }

    fn connection(
        &mut self,
        client: i64,
        bank: &str,
        snap: &Snapshot,
        status: &str,
        action_by: &str,
        ok_hours_ago: i64,
    ) -> i64 {
        self.n += 1;
        let id = connections::add(
            &self.store,
            &NewConnection {
                client_id: client,
                provider: Provider::Flanks,
                flow: "flanks_link".into(),
                institution_id: Some(bank.to_lowercase().replace(' ', "_")),
                institution_name: Some(bank.into()),
            },
            &Secret::new(format!("e2e-token-{}", self.n)),
            &self.secrets,
            "e2e",
        )
        .unwrap()
        .id;
        let now = time::now();
        let ok = now - Days::hours(ok_hours_ago);
        let attempt = if status == "ready" {
            ok
        } else {
            now - Days::minutes(30)
        };
        self.store
            .write(|tx| {
                write_snapshot(tx, id, snap, ok)?;
                tx.execute(
                    "UPDATE connections SET status = ?2, action_by = ?3, last_success_at = ?4,
                         data_as_of = ?4, last_attempt_at = ?5 WHERE id = ?1",
                    rusqlite::params![id, status, action_by, time::to_db(ok), time::to_db(attempt)],
                )?;
                Ok(())
            })
            .unwrap();
        id
    }
}

/// Ana: a joint EUR account (Ana + Pedro), a portfolio with two holdings, a CAD account and
/// 240 transactions over a year (12 of them "Alquiler piso"). Luis; three clients failing at
/// Banco Caído together (an outage); Dora, whose connection needs the advisor; Nuevo, no bank.
fn seed_book(home: &AppHome) -> Vec<(String, i64)> {
    let mut s = Seeder::open(home);
    let today = time::now().date_naive();
    let ana = s.client("Ana Ruiz");
    let mut txns = Vec::new();
    for i in 0..240u32 {
        let date = today - Days::days(i64::from(i) * 365 / 240);
        let (amount, desc) = match i % 20 {
            0 => (-95_000, "Alquiler piso".to_string()),
            1 => (250_000, "Nómina".to_string()),
            2 => (-450, "Café, \"Central\"".to_string()),
            _ => (-(1_000 + i64::from(i) * 7), format!("Compra tarjeta {i}")),
        };
        txns.push(txn(format!("t{i}"), "j", date, amount, "EUR", desc));
    }
    let snap = snapshot(
        vec![
            account(
                "j",
                "ES11 1111 1111 1111 1111 1111",
                AccountKind::Current,
                500_000,
                "EUR",
                &["Ana Ruiz", "Pedro Ruiz"],
            ),
            account(
                "p",
                "ES22 2222 2222 2222 2222 2222",
                AccountKind::Portfolio,
                0,
                "EUR",
                &["Ana Ruiz"],
            ),
            account(
                "c",
                "CA-0001-22",
                AccountKind::Savings,
                300_000,
                "CAD",
                &["Ana Ruiz"],
            ),
        ],
        vec![
            Holding {
                provider_id: "h1".into(),
                account_ref: Some("p".into()),
                name: "World Index Fund".into(),
                isin: Some("IE00B4L5Y983".into()),
                asset_class: AssetClass::Fund,
                units: None,
                value: money(750_000, "EUR"),
            },
            Holding {
                provider_id: "h2".into(),
                account_ref: Some("p".into()),
                name: "Bono Estado 2030".into(),
                isin: Some("ES0000012345".into()),
                asset_class: AssetClass::FixedIncome,
                units: None,
                value: money(250_000, "EUR"),
            },
        ],
        txns,
    );
    s.connection(ana, "Banco Uno", &snap, "ready", "nobody", 2);
    let luis = s.client("Luis Gómez");
    let snap = snapshot(
        vec![account(
            "l",
            "ES33 3333",
            AccountKind::Current,
            1_234_567,
            "EUR",
            &["Luis Gómez"],
        )],
        vec![],
        vec![],
    );
    s.connection(luis, "Banco Uno", &snap, "pending_sca", "client", 60);
    let mut out = vec![
        ("Ana Ruiz".to_string(), ana),
        ("Luis Gómez".to_string(), luis),
    ];
    for name in ["Carmen Vidal", "Diego Sanz", "Elena Mora"] {
        let c = s.client(name);
        let snap = snapshot(
            vec![account(
                name,
                &format!("ES-{name}"),
                AccountKind::Current,
                80_000,
                "EUR",
                &[name],
            )],
            vec![],
            vec![],
        );
        s.connection(c, "Banco Caído", &snap, "retry_later", "nobody", 30);
        out.push((name.to_string(), c));
    }
    let dora = s.client("Dora Prieto");
    let snap = snapshot(
        vec![account(
            "d",
            "ES-D",
            AccountKind::Current,
            40_000,
            "EUR",
            &[],
        )],
        vec![],
        vec![],
    );
    s.connection(dora, "Banco Tres", &snap, "needs_advisor", "advisor", 80);
    out.push(("Dora Prieto".to_string(), dora));
    out.push(("Nuevo Cliente".to_string(), s.client("Nuevo Cliente")));
    out
}

fn click(s: &Session, css: &str) {
    let el = s
        .wait_for_css(css, ACTION)
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    s.click(&el).unwrap_or_else(|e| panic!("click {css}: {e}"));
}

fn text(s: &Session, css: &str) -> String {
    s.text(&s.wait_for_css(css, ACTION).unwrap()).unwrap()
}

fn shot(s: &Session, name: &str) {
    // Let the webview paint what the DOM already holds (its snapshot can lag a frame).
    std::thread::sleep(Duration::from_millis(600));
    s.screenshot(&artifacts_dir().join(format!("{name}.png")))
        .unwrap();
}

fn js(s: &Session, script: &str) -> Value {
    s.execute(script, vec![]).unwrap()
}

fn wait_js(app: &RunningApp, what: &str, script: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let v = js(&app.session, script);
        if !v.is_null() && v != json!(false) {
            return v;
        }
        if Instant::now() > deadline {
            app.fail("workspace", &format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs the built app; run by ./dev test"]
fn book_client_filter_export_health_and_language() {
    let home = AppHome::new();
    let clients = seed_book(&home);
    let app = RunningApp::start_until(&home, "workspace", "[data-testid=book-table]");
    let s = &app.session;

    // The book: every client, two currencies on two lines for Ana, health and data age.
    let rows = wait_js(&app, "7 book rows", "const r = document.querySelectorAll('[data-testid=book-row]'); return r.length === 7 ? r.length : null", ACTION);
    assert_eq!(rows, json!(7));
    let ana_row = js(
        s,
        "const row = [...document.querySelectorAll('[data-testid=book-row]')].find(r => r.textContent.includes('Ana Ruiz'));
         return [...row.querySelectorAll('[data-currency]')].map(e => e.dataset.currency + ' ' + e.textContent.trim());",
    );
    assert_eq!(ana_row, json!(["CAD CA$3,000.00", "EUR €15,000.00"]));
    let luis = js(s, "return [...document.querySelectorAll('[data-testid=book-row]')].find(r => r.textContent.includes('Luis')).querySelector('[data-testid=health-badge]').textContent.trim()");
    assert_eq!(luis, json!("Needs client action"));
    // The webview's first screenshot of a session can be a stale first paint: take a
    // throw-away one now (the book is shot later).
    shot(s, "workspace-warmup");

    // Search, then open the client with the keyboard.
    let search = s.find("[data-testid=book-search]").unwrap();
    s.send_keys(&search, "ana").unwrap();
    wait_js(
        &app,
        "one row",
        "return document.querySelectorAll('[data-testid=book-row]').length === 1",
        ACTION,
    );
    s.send_keys(&search, "\u{E015}").unwrap(); // ArrowDown: focus the first row
    s.send_keys(&s.find("[data-testid=book-row]").unwrap(), "\u{E007}")
        .unwrap(); // Enter
    let ana_id = clients.iter().find(|c| c.0 == "Ana Ruiz").unwrap().1;
    assert_eq!(text(s, "[data-testid=client-name]"), "Ana Ruiz");
    assert!(s
        .current_url()
        .unwrap()
        .ends_with(&format!("#/client/{ana_id}")));
    s.wait_for_css("[data-testid=tx-row]", ACTION).unwrap();
    assert_eq!(text(s, "[data-testid=tx-total]"), "240 transactions");
    let owners = js(
        s,
        "return [...document.querySelectorAll('[data-testid=account-owners]')].map(e => e.textContent.trim()).join(' | ')",
    );
    let owners = owners.as_str().unwrap();
    assert!(
        owners.contains("Ana Ruiz, Pedro Ruiz") && owners.contains("Joint"),
        "{owners}"
    );
    shot(s, "workspace-client");
    js(s, "document.querySelector('[data-testid=accounts-table]').scrollIntoView({block: 'center'}); return 1");
    shot(s, "workspace-client-accounts");
    js(s, "document.querySelector('main').scrollTo(0, 0); return 1");

    // Filter the transactions: full-text search in the core.
    s.send_keys(&s.find("[data-testid=tx-search]").unwrap(), "alquiler")
        .unwrap();
    s.wait_for_text("[data-testid=tx-total]", ACTION, |t| t == "12 transactions")
        .unwrap_or_else(|e| app.fail("workspace", &e.to_string()));
    let descs = js(s, "return [...document.querySelectorAll('[data-testid=tx-row] .desc')].map(e => e.textContent.trim())");
    assert!(
        descs
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d == "Alquiler piso"),
        "{descs}"
    );
    shot(s, "workspace-client-filtered");

    // Export the transactions as CSV to the suggested path and check the file.
    click(s, "[data-testid=export-transactions-open]");
    let input = s
        .wait_for_css("[data-testid=export-transactions-path]", ACTION)
        .unwrap();
    let path = wait_js(&app, "a suggested path", "const v = document.querySelector('[data-testid=export-transactions-path]').value; return v || null", ACTION);
    let path = path.as_str().unwrap().to_string();
    assert!(
        path.starts_with(&home.data_dir().join("exports").display().to_string()),
        "{path}"
    );
    assert!(path.ends_with(".csv"));
    drop(input);
    click(s, "[data-testid=export-transactions-save]");
    s.wait_for_text("[data-testid=export-transactions-done]", ACTION, |t| {
        t.contains("240 rows")
    })
    .unwrap_or_else(|e| app.fail("workspace", &e.to_string()));
    assert_eq!(text(s, "[data-testid=export-transactions-written]"), path);
    js(s, "document.querySelector('[data-testid=export-transactions-done]').scrollIntoView({block: 'center'}); return 1");
    shot(s, "workspace-export");
    check_csv(Path::new(&path));

    // Saving again to the same path is refused: never overwritten.
    click(s, "[data-testid=export-transactions-done] button");
    click(s, "[data-testid=export-transactions-open]");
    s.wait_for_css("[data-testid=export-transactions-path]", ACTION)
        .unwrap();
    let again = js(s, &format!("const i = document.querySelector('[data-testid=export-transactions-path]'); i.value = {}; i.dispatchEvent(new Event('input', {{bubbles: true}})); return i.value", json!(path)));
    assert_eq!(again, json!(path));
    click(s, "[data-testid=export-transactions-save]");
    let refusal = s
        .wait_for_text("[data-testid=export-transactions-error]", ACTION, |t| {
            t.contains("already exists")
        })
        .unwrap_or_else(|e| app.fail("workspace", &e.to_string()));
    assert!(refusal.contains("never overwritten"), "{refusal}");
    check_csv(Path::new(&path));

    // The health queue: the three Banco Caído clients are one outage.
    click(s, "[data-testid=nav-health]");
    let outage = text(s, "[data-testid=outage]");
    assert!(
        outage.contains("Probable outage at Banco Caído"),
        "{outage}"
    );
    assert!(outage.contains("3 clients (3 connections)"), "{outage}");
    assert!(text(s, "[data-testid=queue-group-client]").contains("Luis Gómez"));
    assert!(text(s, "[data-testid=queue-group-advisor]").contains("Dora Prieto"));
    shot(s, "workspace-health");

    // Back to the book (shot in English), then Spanish: labels, numbers and dates follow.
    click(s, "[data-testid=nav-book]");
    s.wait_for_text("h1", ACTION, |t| t == "Book").unwrap();
    s.wait_for_css("[data-testid=book-row]", ACTION).unwrap();
    shot(s, "workspace-book");
    click(s, "[data-testid=language-switcher]");
    click(s, "[data-testid=language-switcher] option[value=es]");
    s.wait_for_text("h1", ACTION, |t| t == "Cartera").unwrap();
    let ana_es = js(
        s,
        "return [...document.querySelectorAll('[data-testid=book-row]')].find(r => r.textContent.includes('Ana Ruiz')).querySelector('[data-currency=EUR]').textContent.trim()",
    );
    assert_eq!(ana_es, json!("15.000,00\u{a0}€"));
    assert_eq!(text(s, "[data-testid=nav-health]"), "Incidencias");
    shot(s, "workspace-book-es");
    app.quit();
}

/// RFC 4180, UTF-8, ISO dates: the header, 240 rows, the quoted description.
fn check_csv(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let csv = String::from_utf8(bytes).expect("UTF-8");
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "date,account,description,counterparty,category,amount,currency,balance_after,status"
    );
    assert_eq!(lines.len(), 241);
    assert!(
        csv.contains(",\"Café, \"\"Central\"\"\",,,-4.50,EUR,,active\r\n"),
        "{}",
        &csv[..400]
    );
    for l in &lines[1..] {
        let date = &l[..10];
        assert!(NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(), "{l}");
    }
}

/// A client with `n` transactions on one account, plus one with none (the baseline page).
fn seed_big(home: &AppHome, n: usize) -> (i64, i64) {
    let mut s = Seeder::open(home);
    let big = s.client("Big Client");
    let today = time::now().date_naive();
    let words = [
        "Mercadona",
        "Repsol",
        "Amazon",
        "Renfe",
        "Iberdrola",
        "Farmacia",
        "Zara",
        "Uber",
    ];
    let txns = (0..n)
        .map(|i| {
            let date = today - Days::days((i / 30) as i64);
            txn(
                format!("b{i}"),
                "big",
                date,
                -((i % 9_000) as i64 + 100),
                "EUR",
                format!("{} {i}", words[i % words.len()]),
            )
        })
        .collect();
    let snap = snapshot(
        vec![account(
            "big",
            "ES99 9999",
            AccountKind::Current,
            10_000_000,
            "EUR",
            &["Big Client"],
        )],
        vec![],
        txns,
    );
    s.connection(big, "Banco Uno", &snap, "ready", "nobody", 1);
    // A book of 500 clients besides: the book screen is measured with them.
    for i in 0..500 {
        let c = s.client(&format!("Book Client {i:03}"));
        let snap = snapshot(
            vec![account(
                &format!("k{i}"),
                &format!("ES-K-{i}"),
                AccountKind::Current,
                10_000 + i,
                "EUR",
                &[],
            )],
            vec![],
            vec![],
        );
        s.connection(c, "Banco Uno", &snap, "ready", "nobody", 1);
    }
    let empty = s.client("Empty Client");
    let snap = snapshot(
        vec![account(
            "e",
            "ES98 9898",
            AccountKind::Current,
            1_000,
            "EUR",
            &["Empty Client"],
        )],
        vec![],
        vec![],
    );
    s.connection(empty, "Banco Uno", &snap, "ready", "nobody", 1);
    (big, empty)
}

/// Opens `#/client/{id}` and resolves when `css` is in the DOM and two frames later
/// (painted): times from the navigation, in ms.
const OPEN_AND_TIME: &str = "const [id, css, done] = arguments;
    const t0 = performance.now();
    let tDom = 0;
    const check = () => {
      if (document.querySelector(css)) {
        obs.disconnect();
        tDom = performance.now() - t0;
        requestAnimationFrame(() => requestAnimationFrame(() =>
          done({ dom: tDom, painted: performance.now() - t0 })));
        return true;
      }
      return false;
    };
    const obs = new MutationObserver(check);
    obs.observe(document.body, { childList: true, subtree: true });
    location.hash = '#/';
    setTimeout(() => { location.hash = '#/client/' + id; }, 50);";

/// Leaves the book, comes back, and resolves when `count` rows are painted.
const OPEN_BOOK: &str = "const [count, done] = arguments;
    location.hash = '#/health';
    setTimeout(() => {
      const t0 = performance.now();
      const obs = new MutationObserver(() => {
        if (document.querySelectorAll('[data-testid=book-row]').length === count) {
          obs.disconnect();
          requestAnimationFrame(() => requestAnimationFrame(() =>
            done({ painted: performance.now() - t0 })));
        }
      });
      obs.observe(document.body, { childList: true, subtree: true });
      location.hash = '#/';
    }, 300);";

/// Frame times with `requestAnimationFrame`: `scroll` true scrolls the table from top to
/// bottom by `step` px per frame; false runs the same loop idle (the baseline). Then waits
/// until the last row is painted.
const FRAMES: &str = "const [scroll, step, limit, done] = arguments;
    const sc = document.querySelector('[data-testid=tx-scroller]');
    sc.scrollTop = 0;
    const deltas = [];
    let last = 0, frames = 0;
    const max = limit || Math.ceil(sc.scrollHeight / step) + 1;
    const t0 = performance.now();
    const tick = (ts) => {
      if (last) deltas.push(ts - last);
      last = ts;
      frames++;
      if (scroll) sc.scrollTop = Math.min(sc.scrollHeight, sc.scrollTop + step);
      if (frames < max) { requestAnimationFrame(tick); return; }
      const tScrolled = performance.now() - t0;
      const lastRow = () => [...document.querySelectorAll('[data-testid=tx-row]')]
        .some(r => Number(r.dataset.index) === Number(sc.dataset.total) - 1);
      const finish = () => {
        deltas.sort((a, b) => a - b);
        const pct = (p) => deltas[Math.min(deltas.length - 1, Math.floor(deltas.length * p))];
        done({ frames: deltas.length, max: deltas[deltas.length - 1], p50: pct(0.5), p99: pct(0.99),
               over50: deltas.filter(d => d > 50).length, scrolledMs: tScrolled,
               lastRowMs: performance.now() - t0,
               rowsInDom: document.querySelectorAll('[data-testid=tx-scroller] [role=row]').length });
      };
      if (!scroll || limit) { finish(); return; }
      const wait = () => lastRow() ? finish() : setTimeout(wait, 20);
      wait();
    };
    requestAnimationFrame(tick);";

/// The webview's own cost of scrolling: a plain element of the table's size (480 px high,
/// the same total height, 22 static 36 px rows moved with the scroll) scrolled the same way,
/// with no app code involved. Same result shape as FRAMES.
const BARE_FRAMES: &str = "const [step, limit, total, done] = arguments;
    const sc = document.createElement('div');
    Object.assign(sc.style, { position: 'fixed', left: '300px', top: '200px', width: '900px',
      height: '480px', overflowY: 'auto', contain: 'strict', background: 'white', zIndex: 9 });
    const spacer = document.createElement('div');
    spacer.style.height = (total * 36) + 'px';
    spacer.style.position = 'relative';
    const win = document.createElement('div');
    Object.assign(win.style, { position: 'absolute', top: 0, left: 0, right: 0 });
    for (let i = 0; i < 22; i++) {
      const r = document.createElement('div');
      r.style.height = '36px';
      r.style.borderBottom = '1px solid #ddd';
      r.textContent = 'Static row ' + i + ' · Mercadona 123 · -12.34 EUR';
      win.appendChild(r);
    }
    spacer.appendChild(win);
    sc.appendChild(spacer);
    document.body.appendChild(sc);
    const deltas = [];
    let last = 0, frames = 0;
    const tick = (ts) => {
      if (last) deltas.push(ts - last);
      last = ts;
      frames++;
      sc.scrollTop = sc.scrollTop + step;
      win.style.transform = 'translateY(' + Math.floor(sc.scrollTop / 36) * 36 + 'px)';
      if (frames < limit) { requestAnimationFrame(tick); return; }
      sc.remove();
      deltas.sort((a, b) => a - b);
      const pct = (p) => deltas[Math.min(deltas.length - 1, Math.floor(deltas.length * p))];
      done({ frames: deltas.length, max: deltas[deltas.length - 1], p50: pct(0.5), p99: pct(0.99),
             over50: deltas.filter(d => d > 50).length });
    };
    requestAnimationFrame(tick);";

#[test]
#[ignore = "measurement: needs the built app; see BENCHMARKS.md"]
fn workspace_bench_50k_transactions() {
    let n: usize = std::env::var("BENCH_TRANSACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let home = AppHome::new();
    let seeded = Instant::now();
    let (big, empty) = seed_big(&home, n);
    eprintln!("seeded {n} transactions in {:?}", seeded.elapsed());
    let app = RunningApp::start_until(&home, "workspace-bench", "[data-testid=book-table]");
    let s = &app.session;
    // The fling to the end can take longer than WebDriver's default 30 s script timeout.
    ureq::post(&format!("{}/session/{}/timeouts", app.driver_url(), s.id()))
        .send_json(json!({ "script": 300_000 }))
        .expect("set the script timeout");
    // The book with 502 clients: navigation to its first screen of rows painted (the rest is
    // drawn as the advisor scrolls).
    let mut book = Vec::new();
    for _ in 0..3 {
        let b = s.execute_async(OPEN_BOOK, vec![json!(20)]).unwrap();
        book.push(b["painted"].as_f64().unwrap());
    }
    let runs = 5;
    let mut base = Vec::new();
    let mut full = Vec::new();
    for _ in 0..runs {
        // Alternate: the same page with an empty table, then the 50k page.
        let b = s
            .execute_async(
                OPEN_AND_TIME,
                vec![json!(empty), json!("[data-testid=tx-empty]")],
            )
            .unwrap();
        base.push(b["painted"].as_f64().unwrap());
        let f = s
            .execute_async(
                OPEN_AND_TIME,
                vec![json!(big), json!("[data-testid=tx-row]")],
            )
            .unwrap();
        full.push(f["painted"].as_f64().unwrap());
    }
    let total = text(s, "[data-testid=tx-total]");
    assert_eq!(total.replace(',', ""), format!("{n} transactions"));
    js(
        s,
        &format!(
            "document.querySelector('[data-testid=tx-scroller]').dataset.total = {n}; return 1"
        ),
    );
    let idle = s
        .execute_async(FRAMES, vec![json!(false), json!(3_000), json!(0)])
        .unwrap();
    // A wheel-like scroll (300 px per frame, 600 frames) and a fling to the very end
    // (3 000 px per frame, every row passes), each after the idle baseline loop.
    let wheel = s
        .execute_async(FRAMES, vec![json!(true), json!(300), json!(600)])
        .unwrap();
    let bare_wheel = s
        .execute_async(BARE_FRAMES, vec![json!(300), json!(600), json!(n)])
        .unwrap();
    let bare_fling = s
        .execute_async(BARE_FRAMES, vec![json!(3_000), json!(600), json!(n)])
        .unwrap();
    let scroll = s
        .execute_async(FRAMES, vec![json!(true), json!(3_000), json!(0)])
        .unwrap();
    shot(s, "workspace-bench-end");
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let report = json!({
        "transactions": n,
        "first_rows_painted_ms_median": median(&mut full),
        "first_rows_painted_ms_all": full,
        "baseline_empty_table_ms_median": median(&mut base),
        "baseline_empty_table_ms_all": base,
        "book_502_clients_painted_ms_all": book,
        "scroll_wheel_600_frames": wheel,
        "baseline_bare_element_wheel": bare_wheel,
        "baseline_bare_element_fling": bare_fling,
        "scroll_to_end": scroll,
        "baseline_idle_frames": idle,
    });
    eprintln!("BENCH {}", serde_json::to_string_pretty(&report).unwrap());
    std::fs::write(
        artifacts_dir().join("workspace-bench.json"),
        report.to_string(),
    )
    .unwrap();
    assert!(
        scroll["rowsInDom"].as_u64().unwrap() < 60,
        "only the visible window is in the DOM"
    );
    app.quit();
}
