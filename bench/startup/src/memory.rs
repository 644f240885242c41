//! Memory of a window's whole process tree (the binary and every process below it: WebKit's
//! web and network processes, their bubblewrap helpers), as PSS from /proc. Both windows are
//! started the same way, under tauri-driver (WebKitWebDriver), because the app is navigated
//! with WebDriver; only the window's own tree is weighed, never the drivers.

use std::path::Path;
use std::time::{Duration, Instant};

use advisor_desk_testkit::webdriver::{DriverProcess, Session};
use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::launch::{Home, Subject};
use crate::procs::{self, Weighed};
use crate::stats;

/// How long a page is left alone before it is weighed (timers, idle GC, late paints).
pub const SETTLE: Duration = Duration::from_secs(4);
/// Samples per figure, one second apart; the median is reported.
const SAMPLES: usize = 3;
const STARTUP: Duration = Duration::from_secs(90);
const ACTION: Duration = Duration::from_secs(60);

/// One weighing: the median total of the samples and the processes of the last one.
#[derive(Debug, Clone)]
pub struct Weight {
    pub total_kb: f64,
    /// Private memory of the tree (USS), median of the same samples.
    pub uss_kb: f64,
    pub processes: Vec<Weighed>,
}

impl Weight {
    pub fn mb(&self) -> f64 {
        self.total_kb / 1024.0
    }

    pub fn uss_mb(&self) -> f64 {
        self.uss_kb / 1024.0
    }

    /// "advisor-desk 60.1 (anon 20.3), WebKitWebProcess 120.3 (anon 40.2), …" (MB, largest
    /// first).
    pub fn breakdown(&self) -> String {
        let mut by: Vec<(String, u64, u64)> = Vec::new();
        for p in &self.processes {
            match by.iter_mut().find(|(c, _, _)| *c == p.comm) {
                Some((_, kb, anon)) => {
                    *kb += p.pss_kb;
                    *anon += p.anon_kb;
                }
                None => by.push((p.comm.clone(), p.pss_kb, p.anon_kb)),
            }
        }
        by.sort_by_key(|b| std::cmp::Reverse(b.1));
        by.iter()
            .map(|(c, kb, anon)| {
                format!(
                    "{c} {:.1} (anon {:.1})",
                    *kb as f64 / 1024.0,
                    *anon as f64 / 1024.0
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn weigh(root: u32) -> Weight {
    let mut totals = Vec::new();
    let mut private = Vec::new();
    let mut last = Vec::new();
    for i in 0..SAMPLES {
        if i > 0 {
            std::thread::sleep(Duration::from_secs(1));
        }
        last = procs::weigh_tree(root);
        totals.push(last.iter().map(|w| w.pss_kb as f64).sum::<f64>());
        private.push(last.iter().map(|w| w.uss_kb as f64).sum::<f64>());
    }
    Weight {
        total_kb: stats::median(&totals).unwrap_or(0.0),
        uss_kb: stats::median(&private).unwrap_or(0.0),
        processes: last,
    }
}

/// A window started under tauri-driver, and the pid of its own process.
struct Driven {
    session: Session,
    pid: u32,
    _driver: DriverProcess,
    _home: Home,
}

fn start(subject: &Subject, tauri_driver: &Path, native: &Path, log: &Path) -> Result<Driven> {
    let home = Home::new()?;
    let mut env = home.env();
    env.extend(subject.env.iter().cloned());
    let driver = DriverProcess::tauri_driver(tauri_driver, native, env, Some(log))
        .context("start tauri-driver")?;
    let session = Session::new(
        driver.url(),
        json!({ "tauri:options": { "application": subject.binary } }),
    )
    .with_context(|| format!("start {} under the driver", subject.name))?;
    let binary = subject.binary.canonicalize()?;
    let deadline = Instant::now() + STARTUP;
    let pid = loop {
        if let Some(pid) = procs::find_descendant_running(std::process::id(), &binary).first() {
            break *pid;
        }
        if Instant::now() > deadline {
            bail!("no {} process below this harness", binary.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Ok(Driven {
        session,
        pid,
        _driver: driver,
        _home: home,
    })
}

impl Driven {
    fn end(self) {
        let _ = self.session.delete();
    }
}

/// The bare window: loaded, settled, weighed.
pub fn bare(subject: &Subject, tauri_driver: &Path, native: &Path, log: &Path) -> Result<Weight> {
    let w = start(subject, tauri_driver, native, log)?;
    wait_js(
        &w.session,
        "return document.readyState === 'complete'",
        STARTUP,
    )?;
    std::thread::sleep(SETTLE);
    let weight = weigh(w.pid);
    w.end();
    Ok(weight)
}

/// The app: weighed with the book painted, then after opening each big client in turn
/// from the book (until its first transaction rows are in the page), then with the book
/// scrolled to its end.
pub fn app(
    subject: &Subject,
    big_clients: &[i64],
    tauri_driver: &Path,
    native: &Path,
    log: &Path,
) -> Result<AppWeights> {
    let w = start(subject, tauri_driver, native, log)?;
    w.session
        .wait_for_css("[data-testid=book-row]", STARTUP)
        .context("the book's rows")?;
    std::thread::sleep(SETTLE);
    let book = weigh(w.pid);
    for id in big_clients {
        // From the book, as the advisor would: the last client's rows are gone first.
        w.session.execute("location.hash = '#/'", vec![])?;
        wait_js(
            &w.session,
            "return !document.querySelector('[data-testid=tx-row]') \
             && !!document.querySelector('[data-testid=book-row]')",
            ACTION,
        )?;
        w.session
            .execute(&format!("location.hash = '#/client/{id}'"), vec![])?;
        w.session
            .wait_for_css("[data-testid=tx-row]", ACTION)
            .with_context(|| format!("the transactions of client {id}"))?;
    }
    std::thread::sleep(SETTLE);
    let clients = weigh(w.pid);
    // Back to the book, scrolled to its end until every row is drawn (the book draws rows as
    // they come near the view): the most the book can hold.
    w.session.execute("location.hash = '#/'", vec![])?;
    let all_rows = format!(
        "document.querySelector('main').scrollTop = 1e9; \
         return document.querySelectorAll('[data-testid=book-row]').length >= {}",
        crate::data::CLIENTS
    );
    wait_js(&w.session, &all_rows, ACTION).context("every book row")?;
    std::thread::sleep(SETTLE);
    let scrolled = weigh(w.pid);
    w.end();
    Ok(AppWeights {
        book,
        clients,
        scrolled,
    })
}

/// The app's three weighings.
pub struct AppWeights {
    /// The book just opened.
    pub book: Weight,
    /// After opening ten big clients from the book, one after another.
    pub clients: Weight,
    /// Then the book scrolled to its end (every row drawn).
    pub scrolled: Weight,
}

fn wait_js(session: &Session, script: &str, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if session.execute(script, vec![])? == json!(true) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("`{script}` stayed false for {timeout:?}")
}
