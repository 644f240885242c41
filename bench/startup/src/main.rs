//! Speed and weight of the release app against a bare Tauri window (issue #7), measured in
//! the same run, in the real webview. Run it under Xvfb and a keychain session:
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 1440x900x24" scripts/with-keyring.sh \
//!   cargo run --release -p advisor-desk-startup-bench -- [--runs N] [--first-runs N] [--memory-rounds N]
//! ```
//!
//! Figures: cold start to the painted book with 500 clients vs the bare window's first
//! paint (median of alternating starts); PSS of each window's process tree with the book
//! open and after opening ten clients of 50 000 transactions, vs the bare window's; binary
//! sizes. It measures, it does not assert; see BENCHMARKS.md.

mod data;
mod launch;
mod memory;
mod procs;
mod stats;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use launch::{Home, Subject};

const START_TARGET: f64 = 1.5;
const MEMORY_TARGET: f64 = 1.3;
const START_TIMEOUT: Duration = Duration::from_secs(90);

struct Options {
    runs: usize,
    first_runs: usize,
    memory_rounds: usize,
    app: PathBuf,
    bare: PathBuf,
    start: bool,
    memory: bool,
    prepare_only: bool,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    if dir.is_absolute() {
        dir
    } else {
        workspace_root().join(dir)
    }
}

fn options() -> Result<Options> {
    let release = target_dir().join("release");
    let mut o = Options {
        runs: 9,
        first_runs: 3,
        memory_rounds: 2,
        app: release.join("advisor-desk"),
        bare: release.join("advisor-desk-bare-window"),
        start: true,
        memory: true,
        prepare_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => o.runs = value()?.parse()?,
            "--first-runs" => o.first_runs = value()?.parse()?,
            "--memory-rounds" => o.memory_rounds = value()?.parse()?,
            "--app" => o.app = value()?.into(),
            "--bare" => o.bare = value()?.into(),
            "--start-only" => o.memory = false,
            "--memory-only" => o.start = false,
            "--prepare-only" => o.prepare_only = true,
            _ => bail!(
                "usage: advisor-desk-startup-bench [--runs N] [--first-runs N] [--memory-rounds N] \
                 [--app PATH] [--bare PATH] [--start-only | --memory-only | --prepare-only]"
            ),
        }
    }
    for (what, path) in [("app", &o.app), ("bare window", &o.bare)] {
        if !path.is_file() && !o.prepare_only {
            bail!(
                "the {what} binary {} is missing: build both first with \
                 `npm --prefix ui run build && cargo build --release -p advisor-desk -p advisor-desk-bare-window`",
                path.display()
            );
        }
    }
    Ok(o)
}

fn tool(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() -> Result<()> {
    let o = options()?;
    let book = data::cached_book(&target_dir().join("bench-data"))?;
    if o.prepare_only {
        return Ok(());
    }
    if std::env::var_os("DISPLAY").is_none()
        || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
    {
        bail!("run under Xvfb and a keychain session: xvfb-run -a -s \"-screen 0 1440x900x24\" scripts/with-keyring.sh …");
    }
    let work = tempfile::tempdir()?;
    let data_dir = work.path().join("data");
    data::working_copy(&book, &data_dir)?;
    let logs = target_dir().join("bench-data/logs");
    std::fs::create_dir_all(&logs)?;

    let app = Subject {
        name: "app",
        binary: o.app.clone(),
        env: vec![
            (
                "ADVISOR_DESK_DATA_DIR".into(),
                data_dir.display().to_string(),
            ),
            (
                "ADVISOR_DESK_KEYRING_SERVICE".into(),
                format!("app.advisordesk.desktop.bench{}", std::process::id()),
            ),
        ],
    };
    let bare = Subject {
        name: "bare window",
        binary: o.bare.clone(),
        env: vec![],
    };

    println!(
        "speed and weight: the release app vs a bare Tauri window (same Tauri, same profile), Xvfb"
    );
    let (app_size, bare_size) = (
        std::fs::metadata(&o.app)?.len(),
        std::fs::metadata(&o.bare)?.len(),
    );
    println!(
        "  binary size: advisor-desk {:.2} MB ({app_size} B), bare window {:.2} MB ({bare_size} B), ratio {:.2}x",
        mb(app_size),
        mb(bare_size),
        app_size as f64 / bare_size as f64
    );

    if o.start {
        measure_start(&o, &app, &bare, &logs)?;
    }
    if o.memory {
        measure_memory(&o, &app, &bare, &book.big_clients, &logs)?;
    }
    Ok(())
}

fn measure_start(o: &Options, app: &Subject, bare: &Subject, logs: &Path) -> Result<()> {
    let log = |s: &Subject| logs.join(format!("start-{}.log", s.name.replace(' ', "-")));
    // First starts ever: empty XDG folders (no cache of any kind), one each, alternating.
    let mut first = (Vec::new(), Vec::new());
    for _ in 0..o.first_runs {
        let b = launch::timed_start(bare, &Home::new()?, &log(bare), START_TIMEOUT)?;
        let a = launch::timed_start(app, &Home::new()?, &log(app), START_TIMEOUT)?;
        eprintln!(
            "  first start, empty caches: bare {:.0} ms [{}], app {:.0} ms [{}]",
            stats::millis(b.elapsed),
            phases_text(&b.phases()),
            stats::millis(a.elapsed),
            phases_text(&a.phases()),
        );
        first.0.push(stats::millis(b.elapsed));
        first.1.push(stats::millis(a.elapsed));
    }
    // Then each window keeps its folders, as on the advisor's machine after the first start;
    // one untimed start each fills them (and the page cache with the binaries).
    let (bare_home, app_home) = (Home::new()?, Home::new()?);
    launch::timed_start(bare, &bare_home, &log(bare), START_TIMEOUT)?;
    launch::timed_start(app, &app_home, &log(app), START_TIMEOUT)?;
    let (mut bare_ms, mut app_ms) = (Vec::new(), Vec::new());
    let mut detail = String::new();
    let (mut bare_phases, mut app_phases) = (Vec::new(), Vec::new());
    for run in 0..o.runs {
        let b = launch::timed_start(bare, &bare_home, &log(bare), START_TIMEOUT)?;
        let a = launch::timed_start(app, &app_home, &log(app), START_TIMEOUT)?;
        if !a.detail.contains(&data::CLIENTS.to_string()) {
            bail!(
                "the app painted a book that is not the {}-client one: {}",
                data::CLIENTS,
                a.detail
            );
        }
        eprintln!(
            "  run {}: bare {:.0} ms [{}], app {:.0} ms [{}]",
            run + 1,
            stats::millis(b.elapsed),
            phases_text(&b.phases()),
            stats::millis(a.elapsed),
            phases_text(&a.phases()),
        );
        bare_phases.push(b.phases());
        app_phases.push(a.phases());
        bare_ms.push(stats::millis(b.elapsed));
        app_ms.push(stats::millis(a.elapsed));
        detail = a.detail.split('|').next().unwrap_or("").trim().to_string();
    }
    let (bm, am) = (
        stats::median(&bare_ms).unwrap_or(0.0),
        stats::median(&app_ms).unwrap_or(0.0),
    );
    let (blo, bhi) = stats::min_max(&bare_ms);
    let (alo, ahi) = stats::min_max(&app_ms);
    println!(
        "  cold start, spawn to painted (median of {} alternating starts):",
        o.runs
    );
    println!("    bare window, empty page:          {bm:7.0} ms ({blo:.0}–{bhi:.0})");
    println!(
        "    app, book painted ({detail}): {am:7.0} ms ({alo:.0}–{ahi:.0})   ratio {}",
        stats::verdict(stats::ratio(am, bm), START_TARGET)
    );
    if let (Some(fb), Some(fa)) = (stats::median(&first.0), stats::median(&first.1)) {
        println!(
            "    first start ever (empty XDG folders, median of {}): bare {fb:.0} ms, app {fa:.0} ms, ratio {:.2}x",
            o.first_runs,
            fa / fb
        );
    }
    println!(
        "    where the time goes (median ms per phase; page marks from the page's own clock):"
    );
    println!("      bare: {}", phases_text(&median_phases(&bare_phases)));
    println!("      app:  {}", phases_text(&median_phases(&app_phases)));
    Ok(())
}

fn phases_text(phases: &[(String, f64)]) -> String {
    phases
        .iter()
        .map(|(k, v)| format!("{k} +{v:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per phase name (in the order of the first run), the median over the runs that have it.
fn median_phases(runs: &[Vec<(String, f64)>]) -> Vec<(String, f64)> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|(name, _)| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.iter().find(|(k, _)| k == name).map(|(_, v)| *v))
                .collect();
            Some((name.clone(), stats::median(&values)?))
        })
        .collect()
}

fn measure_memory(
    o: &Options,
    app: &Subject,
    bare: &Subject,
    big_clients: &[i64],
    logs: &Path,
) -> Result<()> {
    let driver = tool(
        "TAURI_DRIVER",
        &format!(
            "{}/.cargo/bin/tauri-driver",
            std::env::var("HOME").unwrap_or_default()
        ),
    );
    let native = tool("WEBKIT_WEBDRIVER", "/usr/bin/WebKitWebDriver");
    let (mut bare_mb, mut book_mb, mut clients_mb, mut scrolled_mb) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut bare_uss, mut book_uss, mut clients_uss, mut scrolled_uss) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for round in 0..o.memory_rounds {
        let b = memory::bare(bare, &driver, &native, &logs.join("memory-bare.driver.log"))?;
        let a = memory::app(
            app,
            big_clients,
            &driver,
            &native,
            &logs.join("memory-app.driver.log"),
        )?;
        eprintln!(
            "  round {}: bare {:.1} MB, app with the book {:.1} MB, after ten clients {:.1} MB, book scrolled to its end {:.1} MB",
            round + 1,
            b.mb(),
            a.book.mb(),
            a.clients.mb(),
            a.scrolled.mb()
        );
        bare_mb.push(b.mb());
        book_mb.push(a.book.mb());
        clients_mb.push(a.clients.mb());
        scrolled_mb.push(a.scrolled.mb());
        bare_uss.push(b.uss_mb());
        book_uss.push(a.book.uss_mb());
        clients_uss.push(a.clients.uss_mb());
        scrolled_uss.push(a.scrolled.uss_mb());
        last = Some((b, a));
    }
    let Some((b, a)) = last else {
        return Ok(());
    };
    let bm = stats::median(&bare_mb).unwrap_or(0.0);
    let bu = stats::median(&bare_uss).unwrap_or(0.0);
    println!(
        "  memory of the window's process tree under tauri-driver (median of {} rounds; settled {} s, 3 samples); \
         PSS, and in parentheses USS (private only, steadier on a shared machine):",
        o.memory_rounds,
        memory::SETTLE.as_secs()
    );
    println!(
        "    bare window, empty page:                 {bm:6.1} MB ({bu:6.1})   [{}]",
        b.breakdown()
    );
    for (what, values, uss, w) in [
        (
            "app, book of 500 open:                 ",
            &book_mb,
            &book_uss,
            &a.book,
        ),
        (
            "app, after opening ten 50k-tx clients: ",
            &clients_mb,
            &clients_uss,
            &a.clients,
        ),
        (
            "app, then the book scrolled to its end:",
            &scrolled_mb,
            &scrolled_uss,
            &a.scrolled,
        ),
    ] {
        let m = stats::median(values).unwrap_or(0.0);
        let u = stats::median(uss).unwrap_or(0.0);
        println!(
            "    {what} {m:6.1} MB ({u:6.1})   ratio {} (USS {:.2}x)   [{}]",
            stats::verdict(stats::ratio(m, bm), MEMORY_TARGET),
            stats::ratio(u, bu).unwrap_or(0.0),
            w.breakdown()
        );
    }
    Ok(())
}
