//! Starting a window binary directly (no driver) and timing it: from the spawn to the probe's
//! marker line on its stdout. Each start is stopped, with every process below it, before the
//! next one. The caller chooses the XDG folders: kept from one start to the next (the user's
//! caches, Mesa's compiled shaders among them, exist after the first start), or empty.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::procs;

/// The line both the app's probe and the bare window print (`src-tauri/src/probe.rs`).
pub const MARKER: &str = "advisor-desk-probe: painted";
/// Set on the app so its probe reports the painted book.
pub const PROBE_ENV: &str = "ADVISOR_DESK_STARTUP_PROBE";

/// What one measured window needs: its binary and its environment.
#[derive(Clone)]
pub struct Subject {
    pub name: &'static str,
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
}

/// A set of XDG folders (data, config, cache) in a temporary folder, removed when dropped.
pub struct Home {
    root: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Result<Home> {
        let root = tempfile::tempdir()?;
        for sub in ["xdg-data", "xdg-config", "xdg-cache"] {
            std::fs::create_dir(root.path().join(sub))?;
        }
        Ok(Home { root })
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let p = self.root.path();
        ["DATA", "CONFIG", "CACHE"]
            .iter()
            .map(|k| {
                (
                    format!("XDG_{k}_HOME"),
                    p.join(format!("xdg-{}", k.to_lowercase()))
                        .display()
                        .to_string(),
                )
            })
            .collect()
    }
}

/// One timed start: how long until the marker, and the marker's detail ("book 500 clients…").
pub struct Start {
    pub elapsed: Duration,
    pub detail: String,
    /// Wall-clock time of the spawn, ms since the Unix epoch (the page's `timeOrigin` is
    /// on the same clock).
    pub spawned_epoch_ms: f64,
}

impl Start {
    /// The marker's timeline as phases in ms: spawn → page origin, then between the
    /// page's marks in the order given.
    pub fn phases(&self) -> Vec<(String, f64)> {
        let marks = timeline(&self.detail);
        let Some(origin) = marks.iter().find(|(k, _)| k == "origin").map(|(_, v)| *v) else {
            return Vec::new();
        };
        let mut out = vec![("page origin".to_string(), origin - self.spawned_epoch_ms)];
        let mut prev: Option<(String, f64)> = None;
        for (k, v) in marks
            .into_iter()
            .filter(|(k, v)| k != "origin" && *v >= 0.0)
        {
            let since = prev.as_ref().map_or(0.0, |(_, p)| *p);
            out.push((k.clone(), v - since));
            prev = Some((k, v));
        }
        out
    }
}

/// `key=value` pairs after the `|` of a marker's detail, in order (unparsable ones skipped).
pub fn timeline(detail: &str) -> Vec<(String, f64)> {
    let Some((_, marks)) = detail.split_once('|') else {
        return Vec::new();
    };
    marks
        .split_whitespace()
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// Spawns `subject` with `home` as its XDG folders, waits for the marker (at most
/// `timeout`), then stops it.
pub fn timed_start(subject: &Subject, home: &Home, log: &Path, timeout: Duration) -> Result<Start> {
    let stderr = std::fs::File::create(log)?;
    let mut command = Command::new(&subject.binary);
    command
        .envs(home.env())
        .envs(subject.env.iter().map(|(k, v)| (k, v)))
        .env(PROBE_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so stopping it reaches its WebKit processes too.
        command.process_group(0);
    }
    let spawned_epoch_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("start {}", subject.binary.display()))?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if let Some(detail) = line.strip_prefix(MARKER) {
                let _ = tx.send((Instant::now(), detail.trim().to_string()));
            }
        }
    });
    let outcome = rx.recv_timeout(timeout);
    stop(&mut child);
    match outcome {
        Ok((at, detail)) => Ok(Start {
            elapsed: at - started,
            detail,
            spawned_epoch_ms,
        }),
        Err(_) => bail!(
            "{} printed no marker within {:?} (its stderr: {})",
            subject.name,
            timeout,
            log.display()
        ),
    }
}

/// Kills `child`, its process group and anything else below it, and waits until all are gone.
pub fn stop(child: &mut Child) {
    let pid = child.id();
    let tree = procs::subtree(pid, &procs::parents());
    // SAFETY: plain syscalls on processes this harness started.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
        for p in &tree {
            libc::kill(*p as libc::pid_t, libc::SIGKILL);
        }
    }
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tree
        .iter()
        .any(|p| Path::new(&format!("/proc/{p}/stat")).exists() && !is_zombie(*p))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rfind(')')
            .and_then(|i| s[i + 1..].split_whitespace().next())
            == Some("Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_pairs_after_the_bar() {
        let d = "book 500 clients · x | origin=1000.5 mounted=40 data=-1 rows=300 painted=350";
        assert_eq!(
            timeline(d),
            vec![
                ("origin".to_string(), 1000.5),
                ("mounted".to_string(), 40.0),
                ("data".to_string(), -1.0),
                ("rows".to_string(), 300.0),
                ("painted".to_string(), 350.0),
            ]
        );
        assert!(timeline("bare").is_empty());
    }

    #[test]
    fn phases_from_the_spawn_skip_missing_marks() {
        let s = Start {
            elapsed: Duration::from_millis(1500),
            detail: "book | origin=10600 mounted=40 data=-1 rows=300 painted=350".into(),
            spawned_epoch_ms: 10_000.0,
        };
        assert_eq!(
            s.phases(),
            vec![
                ("page origin".to_string(), 600.0),
                ("mounted".to_string(), 40.0),
                ("rows".to_string(), 260.0),
                ("painted".to_string(), 50.0),
            ]
        );
    }
}
