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
    // Two baselines: the bare window as Tauri makes it (WebKitGTK's default compositing), and
    // the same window with accelerated compositing off, as the app sets its webviews
    // (`src-tauri/src/webview_settings.rs`): the app is compared with both.
    let bare = Subject {
        name: "bare window",
        binary: o.bare.clone(),
        env: vec![],
    };
    let bare_plain = Subject {
        name: "bare window, no compositing",
        binary: o.bare.clone(),
        env: vec![("WEBKIT_DISABLE_COMPOSITING_MODE".into(), "1".into())],
    };
    let baselines = [bare, bare_plain];

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
        measure_start(&o, &app, &baselines, &logs)?;
    }
    if o.memory {
        measure_memory(&o, &app, &baselines, &book.big_clients, &logs)?;
    }
    Ok(())
}

/// Start times of one subject over the runs.
#[derive(Default)]
struct Starts {
    ms: Vec<f64>,
    phases: Vec<Vec<(String, f64)>>,
    first_ms: Vec<f64>,
}

fn measure_start(o: &Options, app: &Subject, baselines: &[Subject], logs: &Path) -> Result<()> {
    let log = |s: &Subject| logs.join(format!("start-{}.log", s.name.replace([' ', ','], "-")));
    // Baselines first, the app last, alternating run by run.
    let subjects: Vec<&Subject> = baselines.iter().chain([app]).collect();
    let mut starts: Vec<Starts> = subjects.iter().map(|_| Starts::default()).collect();
    // First starts ever: empty XDG folders (no cache of any kind), alternating.
    for _ in 0..o.first_runs {
        let mut line = Vec::new();
        for (s, subject) in starts.iter_mut().zip(&subjects) {
            let t = launch::timed_start(subject, &Home::new()?, &log(subject), START_TIMEOUT)?;
            line.push(start_text(subject, &t));
            s.first_ms.push(stats::millis(t.elapsed));
        }
        eprintln!("  first start, empty caches: {}", line.join("; "));
    }
    // Then each window keeps its folders, as on the advisor's machine after the first start;
    // one untimed start each fills them (and the page cache with the binaries).
    let homes = subjects
        .iter()
        .map(|_| Home::new())
        .collect::<Result<Vec<_>>>()?;
    for (subject, home) in subjects.iter().zip(&homes) {
        launch::timed_start(subject, home, &log(subject), START_TIMEOUT)?;
    }
    let mut detail = String::new();
    for run in 0..o.runs {
        let mut line = Vec::new();
        for ((s, subject), home) in starts.iter_mut().zip(&subjects).zip(&homes) {
            let t = launch::timed_start(subject, home, &log(subject), START_TIMEOUT)?;
            if std::ptr::eq(*subject, app) {
                if !t.detail.contains(&data::CLIENTS.to_string()) {
                    bail!(
                        "the app painted a book that is not the {}-client one: {}",
                        data::CLIENTS,
                        t.detail
                    );
                }
                detail = t.detail.split('|').next().unwrap_or("").trim().to_string();
            }
            line.push(start_text(subject, &t));
            s.ms.push(stats::millis(t.elapsed));
            s.phases.push(t.phases());
        }
        eprintln!("  run {}: {}", run + 1, line.join("; "));
    }
    println!(
        "  cold start, spawn to painted (median of {} alternating starts):",
        o.runs
    );
    let app_starts = starts.last().expect("the app is a subject");
    let am = stats::median(&app_starts.ms).unwrap_or(0.0);
    let (alo, ahi) = stats::min_max(&app_starts.ms);
    println!("    app, book painted ({detail}): {am:7.0} ms ({alo:.0}–{ahi:.0})");
    for (s, subject) in starts.iter().zip(&subjects).take(baselines.len()) {
        let bm = stats::median(&s.ms).unwrap_or(0.0);
        let (blo, bhi) = stats::min_max(&s.ms);
        println!(
            "    {}, empty page: {bm:7.0} ms ({blo:.0}–{bhi:.0})   app ratio {}",
            subject.name,
            stats::verdict(stats::ratio(am, bm), START_TARGET)
        );
    }
    if o.first_runs > 0 {
        let app_first = stats::median(&app_starts.first_ms).unwrap_or(0.0);
        for (s, subject) in starts.iter().zip(&subjects).take(baselines.len()) {
            let fb = stats::median(&s.first_ms).unwrap_or(0.0);
            println!(
                "    first start ever (empty XDG folders, median of {}): {} {fb:.0} ms, app {app_first:.0} ms, ratio {:.2}x",
                o.first_runs,
                subject.name,
                app_first / fb
            );
        }
    }
    println!(
        "    where the time goes (median ms per phase; page marks from the page's own clock):"
    );
    for (s, subject) in starts.iter().zip(&subjects) {
        println!(
            "      {}: {}",
            subject.name,
            phases_text(&median_phases(&s.phases))
        );
    }
    Ok(())
}

/// "app 641 ms [page origin +379, script +42, …]".
fn start_text(subject: &Subject, start: &launch::Start) -> String {
    format!(
        "{} {:.0} ms [{}]",
        subject.name,
        stats::millis(start.elapsed),
        phases_text(&start.phases())
    )
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
    baselines: &[Subject],
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
    // Per baseline: PSS and USS per round; the app's three weighings likewise.
    let mut bare: Vec<(Vec<f64>, Vec<f64>)> =
        baselines.iter().map(|_| Default::default()).collect();
    let mut app_rounds: [(Vec<f64>, Vec<f64>); 3] = Default::default();
    let mut last = None;
    for round in 0..o.memory_rounds {
        let mut weights = Vec::new();
        for (i, baseline) in baselines.iter().enumerate() {
            let log = logs.join(format!("memory-bare-{i}.driver.log"));
            let w = memory::bare(baseline, &driver, &native, &log)?;
            bare[i].0.push(w.mb());
            bare[i].1.push(w.uss_mb());
            weights.push(w);
        }
        let a = memory::app(
            app,
            big_clients,
            &driver,
            &native,
            &logs.join("memory-app.driver.log"),
        )?;
        eprintln!(
            "  round {}: {}; app with the book {:.1} MB, after ten clients {:.1} MB, book scrolled to its end {:.1} MB",
            round + 1,
            baselines
                .iter()
                .zip(&weights)
                .map(|(b, w)| format!("{} {:.1} MB", b.name, w.mb()))
                .collect::<Vec<_>>()
                .join(", "),
            a.book.mb(),
            a.clients.mb(),
            a.scrolled.mb()
        );
        for (i, w) in [&a.book, &a.clients, &a.scrolled].into_iter().enumerate() {
            app_rounds[i].0.push(w.mb());
            app_rounds[i].1.push(w.uss_mb());
        }
        last = Some((weights, a));
    }
    let Some((weights, a)) = last else {
        return Ok(());
    };
    println!(
        "  memory of the window's process tree under tauri-driver (median of {} rounds; settled {} s, 3 samples); \
         PSS, and in parentheses USS (private only, steadier on a shared machine):",
        o.memory_rounds,
        memory::SETTLE.as_secs()
    );
    let medians = |(pss, uss): &(Vec<f64>, Vec<f64>)| {
        (
            stats::median(pss).unwrap_or(0.0),
            stats::median(uss).unwrap_or(0.0),
        )
    };
    for ((baseline, figures), w) in baselines.iter().zip(&bare).zip(&weights) {
        let (m, u) = medians(figures);
        println!(
            "    {}, empty page: {m:6.1} MB ({u:6.1})   [{}]",
            baseline.name,
            w.breakdown()
        );
    }
    for ((what, w), figures) in [
        ("app, book of 500 open", &a.book),
        ("app, after opening ten 50k-tx clients", &a.clients),
        ("app, then the book scrolled to its end", &a.scrolled),
    ]
    .into_iter()
    .zip(&app_rounds)
    {
        let (m, u) = medians(figures);
        println!("    {what}: {m:6.1} MB ({u:6.1})   [{}]", w.breakdown());
        for (baseline, figures) in baselines.iter().zip(&bare) {
            let (bm, bu) = medians(figures);
            println!(
                "      vs {}: ratio {} (USS {:.2}x)",
                baseline.name,
                stats::verdict(stats::ratio(m, bm), MEMORY_TARGET),
                stats::ratio(u, bu).unwrap_or(0.0),
            );
        }
    }
    Ok(())
}
