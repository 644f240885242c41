//! Starting the real app under `tauri-driver` (WebKitWebDriver) for one test, in a
//! throw-away home so no run touches the advisor's real data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use advisor_desk_testkit::webdriver::{DriverProcess, Session};
use serde_json::json;

/// Env var naming the app binary built with the UI embedded (`scripts/build-app.sh`).
pub const APP_ENV: &str = "ADVISOR_DESK_APP";
/// How long the app may take to show its first screen on a busy CI machine.
pub const STARTUP: Duration = Duration::from_secs(60);
/// How long one UI action may take to show its effect.
pub const ACTION: Duration = Duration::from_secs(15);

pub fn app_binary() -> PathBuf {
    built_file(APP_ENV, "build the app with `scripts/build-app.sh`")
}

/// The file a build script made, named by `env` (./dev test sets it); `how` says how to
/// make it. A relative path is meant from the workspace root (tests run in tests/e2e).
pub fn built_file(env: &str, how: &str) -> PathBuf {
    let Some(path) = std::env::var_os(env).filter(|v| !v.is_empty()) else {
        panic!(
            "{env} is not set: {how} and set {env} to the path it prints (./dev test does both)"
        );
    };
    let mut path = PathBuf::from(path);
    if path.is_relative() {
        path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
    }
    assert!(
        path.is_file(),
        "{env}={} is not a file; {how}",
        path.display()
    );
    path
}

fn tool(env: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    std::env::var_os(env)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(default)
}

pub fn tauri_driver() -> PathBuf {
    tool("TAURI_DRIVER", || {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let cargo_bin = home.join(".cargo/bin/tauri-driver");
        if cargo_bin.is_file() {
            cargo_bin
        } else {
            PathBuf::from("tauri-driver")
        }
    })
}

pub fn native_driver() -> PathBuf {
    tool("WEBKIT_WEBDRIVER", || {
        PathBuf::from("/usr/bin/WebKitWebDriver")
    })
}

/// Where screenshots and driver logs go, so a failure on CI can be looked at.
pub fn artifacts_dir() -> PathBuf {
    let dir = tool("ADVISOR_DESK_E2E_ARTIFACTS", || {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.artifacts/e2e")
    });
    std::fs::create_dir_all(&dir).expect("create the e2e artifacts folder");
    dir
}

/// Everything one test's app writes: the advisor's data folder and the XDG folders where
/// WebKit keeps the webview's storage, so no run reads or leaves state in the real home.
/// Reusing one `AppHome` for two runs is a restart.
pub struct AppHome {
    root: tempfile::TempDir,
}

impl Default for AppHome {
    fn default() -> Self {
        AppHome::new()
    }
}

impl AppHome {
    pub fn new() -> AppHome {
        let root = tempfile::tempdir().expect("create a temp folder");
        for sub in ["data", "xdg-data", "xdg-config", "xdg-cache"] {
            std::fs::create_dir(root.path().join(sub)).expect("create a temp sub-folder");
        }
        AppHome { root }
    }

    /// `ADVISOR_DESK_DATA_DIR`: where the app keeps its SQLite file.
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir().join("advisor-desk.sqlite3")
    }

    /// `XDG_DATA_HOME` / `XDG_CONFIG_HOME` / … of the app: where `register_all()` writes the
    /// `advisordesk://` handler, so `gio open` run with this environment finds this app.
    pub fn xdg_env(&self) -> Vec<(&'static str, PathBuf)> {
        self.env()
    }

    /// `ADVISOR_DESK_KEYRING_SERVICE`: this home's own keychain namespace, so apps running at
    /// the same time (parallel tests, same seeded sandbox tokens) never share entries.
    pub fn keyring_service(&self) -> String {
        let name = self
            .root
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("app.advisordesk.desktop.e2e{name}")
    }

    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let p = self.root.path();
        vec![
            (
                "ADVISOR_DESK_KEYRING_SERVICE",
                PathBuf::from(self.keyring_service()),
            ),
            ("ADVISOR_DESK_DATA_DIR", self.data_dir()),
            ("XDG_DATA_HOME", p.join("xdg-data")),
            ("XDG_CONFIG_HOME", p.join("xdg-config")),
            ("XDG_CACHE_HOME", p.join("xdg-cache")),
        ]
    }
}

/// One run of the app: the driver process (its Drop stops the app too) and the session.
pub struct RunningApp {
    pub session: Session,
    _driver: DriverProcess,
    /// The app's database: while a process holds it open, the app is still running.
    database: PathBuf,
    /// The app process a restart left running outside the driver (see
    /// [`across_restart`](Self::across_restart)): the driver does not own it, so `quit`
    /// ends it.
    restarted: Option<RestartedProcess>,
}

/// An app process a restart started outside the driver: ended (SIGTERM, by its id) when
/// dropped, so a failing test does not leave it running.
struct RestartedProcess(String);

impl Drop for RestartedProcess {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").arg(&self.0).status();
    }
}

impl RunningApp {
    /// Starts the app on `home` (see [`AppHome`]), opens the Clients screen and waits for it.
    pub fn start(home: &AppHome, log_name: &str) -> RunningApp {
        // The app opens on the book; these journeys start on the Clients screen.
        let running = RunningApp::launch(home, log_name, "[data-testid=product-name]", &[], &[]);
        running
            .session
            .execute("location.hash = '#/clients'", vec![])
            .and_then(|_| {
                running
                    .session
                    .wait_for_css("[data-testid=add-client-form]", STARTUP)
            })
            .unwrap_or_else(|e| running.fail(log_name, &format!("first screen: {e}")));
        running
    }

    /// Like [`start`](Self::start), but waits for `first_css` (screens other than the client
    /// list, e.g. `[data-testid=sandbox-badge]`).
    pub fn start_until(home: &AppHome, log_name: &str, first_css: &str) -> RunningApp {
        RunningApp::launch(home, log_name, first_css, &[], &[])
    }

    /// Starts the app with command-line `args` (e.g. a deep link URL, as the OS passes it).
    pub fn start_with_args(
        home: &AppHome,
        log_name: &str,
        first_css: &str,
        args: &[&str],
    ) -> RunningApp {
        RunningApp::launch(home, log_name, first_css, args, &[])
    }

    /// Like [`start_until`](Self::start_until), with `extra_env` added to the app's
    /// environment (e.g. `GTK_THEME=Adwaita:dark`: the webview then reports
    /// `prefers-color-scheme: dark`, as on a desktop set to a dark theme).
    pub fn start_with_env(
        home: &AppHome,
        log_name: &str,
        first_css: &str,
        extra_env: &[(&str, &str)],
    ) -> RunningApp {
        RunningApp::launch(home, log_name, first_css, &[], extra_env)
    }

    /// The one way the app is started: tauri-driver with the home's environment (plus
    /// `extra_env`), the app binary with `args`, then a wait for `first_css`.
    fn launch(
        home: &AppHome,
        log_name: &str,
        first_css: &str,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> RunningApp {
        let log = artifacts_dir().join(format!("{log_name}.driver.log"));
        let mut env: Vec<(String, PathBuf)> = home
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), PathBuf::from(v))),
        );
        let driver =
            DriverProcess::tauri_driver(&tauri_driver(), &native_driver(), env, Some(&log))
                .unwrap_or_else(|e| panic!("tauri-driver did not start: {e}"));
        let session = Session::new(
            driver.url(),
            json!({ "tauri:options": { "application": app_binary(), "args": args } }),
        )
        .unwrap_or_else(|e| panic!("the app did not start under the driver: {e}"));
        let running = RunningApp {
            session,
            _driver: driver,
            database: home.database(),
            restarted: None,
        };
        running
            .session
            .wait_for_css(first_css, STARTUP)
            .unwrap_or_else(|e| running.fail(log_name, &format!("first screen: {e}")));
        running
    }

    /// Follows the app across a restart it does itself (`restart_app`: the process starts a
    /// copy of itself and exits) caused by `trigger`. The WebDriver session loses its window
    /// with the old process; the new one inherits the address of the inspector server
    /// WebKitWebDriver gave the first (`WEBKIT_INSPECTOR_SERVER`), so a new session on the same
    /// driver attaches to it (`targetAddress`) instead of launching another app. Waits for
    /// `first_css` in the restarted window.
    pub fn across_restart(
        self,
        log_name: &str,
        first_css: &str,
        trigger: impl FnOnce(&RunningApp),
    ) -> RunningApp {
        let data_dir = self.data_dir();
        let before: Vec<String> = app_processes(&data_dir)
            .into_iter()
            .map(|(pid, _)| pid)
            .collect();
        let inspector = before
            .iter()
            .find_map(|pid| environment_of(pid, "WEBKIT_INSPECTOR_SERVER"))
            .unwrap_or_else(|| {
                self.fail(log_name, "the app has no inspector server to reattach to")
            });
        trigger(&self);

        let deadline = std::time::Instant::now() + STARTUP;
        let restarted = loop {
            let old_gone = !before.iter().any(|p| alive(p));
            let fresh = app_processes(&data_dir)
                .into_iter()
                .map(|(pid, _)| pid)
                .find(|pid| !before.contains(pid) && alive(pid));
            if let (true, Some(pid)) = (old_gone, fresh) {
                break RestartedProcess(pid);
            }
            if std::time::Instant::now() > deadline {
                panic!("the app did not restart (old gone: {old_gone})");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let RunningApp {
            session,
            _driver,
            database,
            restarted: _,
        } = self;
        // Its window is gone with the old process; the driver may already have ended it.
        let _ = session.delete();
        let session = loop {
            let attached = Session::new(
                _driver.url(),
                json!({ "webkitgtk:browserOptions": { "targetAddress": inspector } }),
            );
            match attached {
                Ok(session) => break session,
                Err(e) if std::time::Instant::now() > deadline => {
                    panic!("could not attach to the restarted app at {inspector}: {e}");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(250)),
            }
        };
        let running = RunningApp {
            session,
            _driver,
            database,
            restarted: Some(restarted),
        };
        running
            .session
            .wait_for_css(first_css, STARTUP)
            .unwrap_or_else(|e| running.fail(log_name, &format!("after the restart: {e}")));
        running
    }

    fn data_dir(&self) -> PathBuf {
        self.database
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT` of the driver (for W3C calls the testkit client lacks).
    pub fn driver_url(&self) -> &str {
        self._driver.url()
    }

    /// Saves a screenshot next to the driver log, then panics with `what`.
    pub fn fail(&self, name: &str, what: &str) -> ! {
        let shot = artifacts_dir().join(format!("{name}.failure.png"));
        let _ = self.session.screenshot(&shot);
        panic!("{what} (screenshot: {})", shot.display());
    }

    /// Ends the session, which closes the app window, stops the driver, and waits (up to 5 s)
    /// until no other process holds the database. A restart on the same data folder must not
    /// find the old instance still alive: single-instance would hand the new start's arguments
    /// to it and exit, and the restart would time out.
    pub fn quit(self) {
        // The app's own processes, found while they are alive (an exiting process no longer
        // shows its executable or environment, but can still hold its D-Bus name).
        let pids: Vec<String> = app_processes(&self.data_dir())
            .into_iter()
            .map(|(pid, _)| pid)
            .collect();
        let RunningApp {
            session,
            _driver,
            database,
            restarted,
        } = self;
        session.delete().expect("end the WebDriver session");
        drop(_driver);
        // A restarted app is not the driver's: ended here.
        drop(restarted);
        // A restart must not find the old instance: single-instance would hand the restart to
        // it while it is still on D-Bus. Wait until each of its processes is gone (or only a
        // zombie, which holds nothing) and nothing holds the database. Usually under a second.
        let started = std::time::Instant::now();
        let deadline = started + Duration::from_secs(30);
        let remaining = || {
            let mut left = holders_of(&database);
            left.extend(
                pids.iter()
                    .filter(|p| alive(p))
                    .map(|p| (p.clone(), "app".into())),
            );
            left
        };
        let mut left = remaining();
        while !left.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            left = remaining();
        }
        if started.elapsed() > Duration::from_secs(5) {
            eprintln!(
                "e2e: the old app was gone {:.1} s after the session ended; left: {left:?}",
                started.elapsed().as_secs_f64()
            );
        }
    }
}

/// The value of `name` in the environment process `pid` started with.
fn environment_of(pid: &str, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{name}=");
    environ
        .split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(prefix.as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Whether process `pid` still exists and is not a zombie.
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // "pid (comm) S …": the state follows the last ')'.
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// The names shown in the client list, top to bottom.
pub fn listed_names(session: &Session) -> Vec<String> {
    session
        .find_all("[data-testid=client-row] [data-testid=client-name]")
        .expect("read the client list")
        .iter()
        .map(|el| session.text(el).expect("read a client name"))
        .collect()
}

/// Whether another process on this machine has `file` open (Linux: /proc/<pid>/fd). The test
/// itself may hold it (reading the database) and does not count.
/// The app's processes (pid and name) running on `data_dir`: the app binary started with
/// `ADVISOR_DESK_DATA_DIR=data_dir`.
fn app_processes(data_dir: &Path) -> Vec<(String, String)> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let binary = app_binary();
    let wanted = format!("ADVISOR_DESK_DATA_DIR={}", data_dir.display()).into_bytes();
    procs
        .flatten()
        .filter(|p| {
            p.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|p| {
            std::fs::read_link(p.path().join("exe"))
                .is_ok_and(|exe| exe.file_name() == binary.file_name())
        })
        .filter(|p| {
            std::fs::read(p.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == wanted.as_slice()))
        })
        .map(|p| {
            (
                p.file_name().to_string_lossy().into_owned(),
                "app".to_string(),
            )
        })
        .collect()
}

/// The processes (pid and name) that have `file` open, this test process aside (a test may
/// keep its own read-only connection to the app's database).
fn holders_of(file: &Path) -> Vec<(String, String)> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id().to_string();
    procs
        .flatten()
        // Processes only (not /proc/self, which is this process again), this one aside.
        .filter(|p| {
            let name = p.file_name();
            let name = name.to_string_lossy();
            name != me.as_str() && name.bytes().all(|b| b.is_ascii_digit())
        })
        .filter(|p| {
            std::fs::read_dir(p.path().join("fd")).is_ok_and(|fds| {
                fds.flatten()
                    .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == file))
            })
        })
        .map(|p| {
            let name = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            (
                p.file_name().to_string_lossy().into_owned(),
                name.trim().to_string(),
            )
        })
        .collect()
}
