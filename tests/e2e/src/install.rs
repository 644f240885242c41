//! The installed app (tests/install.rs): the Debian package under test and an older-versioned
//! copy of it, `dpkg` with a guard that always uninstalls, a home laid out like a real
//! advisor's (no data-folder override), the app started from its desktop entry, found among
//! the machine's processes, or driven through tauri-driver.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use advisor_desk_testkit::webdriver::{DriverProcess, Session};
use serde_json::json;

use crate::app::{built_file, native_driver, tauri_driver};
use crate::{artifacts_dir, STARTUP};

/// Env var naming the package built by `scripts/build-deb.sh`.
pub const DEB_ENV: &str = "ADVISOR_DESK_DEB";
/// The Debian package's name (Tauri: the product name in kebab case).
pub const PACKAGE: &str = "advisor-desk";
/// Where the package puts the app.
pub const INSTALLED_BINARY: &str = "/usr/bin/advisor-desk";
/// The app's data folder under `XDG_DATA_HOME` (`paths::APP_IDENTIFIER`).
const APP_IDENTIFIER: &str = "app.advisordesk.desktop";

pub fn deb_package() -> PathBuf {
    built_file(DEB_ENV, "build the package with `scripts/build-deb.sh`")
}

/// Runs `cmd`, panics with its output unless it succeeds.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {:?}: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A control field of a .deb (`dpkg-deb -f`).
pub fn control_field(deb: &Path, field: &str) -> String {
    stdout(&run(Command::new("dpkg-deb").arg("-f").arg(deb).arg(field)))
}

/// `dpkg` needs root: as root run it directly, else through `sudo -n` (never prompts; fails
/// the test when sudo would ask for a password).
fn as_root(program: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if root {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg(program);
        c
    }
}

/// The installed version of the package, if it is installed.
pub fn installed_version() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status} ${Version}", PACKAGE])
        .output()
        .expect("run dpkg-query");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (status, version) = text.split_once(' ')?;
    (out.status.success() && status == "installed").then(|| version.to_string())
}

/// The files the installed package owns (`dpkg -L`).
pub fn installed_files() -> Vec<PathBuf> {
    stdout(&run(Command::new("dpkg").args(["-L", PACKAGE])))
        .lines()
        .map(PathBuf::from)
        .collect()
}

/// A copy of `deb` whose only difference is a lower version (`<version>~older`, which Debian
/// orders before `<version>`), built in `dir`. Installing `deb` over it is a real dpkg upgrade
/// of the package (files replaced, old ones removed, triggers run); the binary inside is the
/// same build, so schema migrations across releases are not what this exercises (the core's
/// migration tests cover those).
pub fn older_copy(deb: &Path, dir: &Path) -> (PathBuf, String) {
    let tree = dir.join("older");
    run(Command::new("dpkg-deb").arg("-R").arg(deb).arg(&tree));
    let control_path = tree.join("DEBIAN/control");
    let control = std::fs::read_to_string(&control_path).expect("read DEBIAN/control");
    let version = control_field(deb, "Version");
    let older = format!("{version}~older");
    let rewritten: String = control
        .lines()
        .map(|l| {
            if l.starts_with("Version:") {
                format!("Version: {older}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(rewritten, control, "no Version field in {control}");
    std::fs::write(&control_path, rewritten).expect("write DEBIAN/control");
    let out = dir.join(format!("{PACKAGE}_{older}.deb"));
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zgzip", "-b"])
        .arg(&tree)
        .arg(&out));
    let cmp = Command::new("dpkg")
        .args(["--compare-versions", &older, "lt", &version])
        .status()
        .expect("run dpkg --compare-versions");
    assert!(cmp.success(), "{older} is not older than {version}");
    (out, older)
}

/// The package installed for one test. Creating it requires that the package is not installed
/// (a developer's own install is never replaced); dropping it uninstalls whatever version the
/// test left installed, also when the test failed.
pub struct InstalledPackage {
    armed: bool,
}

impl InstalledPackage {
    pub fn install(deb: &Path) -> InstalledPackage {
        if let Some(v) = installed_version() {
            panic!(
                "{PACKAGE} {v} is already installed on this machine; this test installs and \
                 removes the package: remove it first (dpkg -r {PACKAGE})"
            );
        }
        let guard = InstalledPackage { armed: true };
        guard.upgrade(deb);
        guard
    }

    /// `dpkg -i` over the installed version.
    pub fn upgrade(&self, deb: &Path) {
        run(as_root("dpkg")
            .arg("-i")
            .arg(deb)
            .env("DEBIAN_FRONTEND", "noninteractive"));
    }

    /// `dpkg -r`; the guard has nothing left to do.
    pub fn remove(mut self) {
        self.armed = false;
        run(as_root("dpkg").args(["-r", PACKAGE]));
    }
}

impl Drop for InstalledPackage {
    fn drop(&mut self) {
        if self.armed && installed_version().is_some() {
            let _ = as_root("dpkg")
                .args(["-r", PACKAGE])
                .stdout(Stdio::null())
                .status();
        }
    }
}

/// An advisor's home for the installed app: its own XDG folders and keychain namespace, and
/// no `ADVISOR_DESK_DATA_DIR`, so the app keeps its data where it would on a real desktop
/// (`$XDG_DATA_HOME/app.advisordesk.desktop`).
pub struct DesktopHome {
    root: tempfile::TempDir,
}

impl Default for DesktopHome {
    fn default() -> Self {
        DesktopHome::new()
    }
}

impl DesktopHome {
    pub fn new() -> DesktopHome {
        let root = tempfile::tempdir().expect("create a temp folder");
        for sub in [
            "xdg-data",
            "xdg-config",
            "xdg-cache",
            "bare-data",
            "bare-config",
        ] {
            std::fs::create_dir(root.path().join(sub)).expect("create a temp sub-folder");
        }
        DesktopHome { root }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// The data folder the app picks by itself.
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("xdg-data").join(APP_IDENTIFIER)
    }

    pub fn database(&self) -> PathBuf {
        self.data_dir().join("advisor-desk.sqlite3")
    }

    pub fn keyring_service(&self) -> String {
        let name = self
            .root
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("app.advisordesk.desktop.e2e-install{name}")
    }

    /// The app's environment as a desktop session gives it.
    pub fn env(&self) -> Vec<(String, OsString)> {
        let p = self.root.path();
        vec![
            (
                "ADVISOR_DESK_KEYRING_SERVICE".into(),
                self.keyring_service().into(),
            ),
            ("XDG_DATA_HOME".into(), p.join("xdg-data").into()),
            ("XDG_CONFIG_HOME".into(), p.join("xdg-config").into()),
            ("XDG_CACHE_HOME".into(), p.join("xdg-cache").into()),
        ]
    }

    /// The environment of a program that opens an `advisordesk://` link (a browser, a mail
    /// client) in a session where the running app never registered its own handler (its
    /// `register_all()` writes one into `$XDG_DATA_HOME/applications`): only the package's
    /// `/usr/share/applications` entry can handle the link. The data folder is named
    /// explicitly, the one the running app chose, so the started process finds that instance.
    pub fn bare_env(&self) -> Vec<(String, OsString)> {
        let p = self.root.path();
        vec![
            (
                "ADVISOR_DESK_KEYRING_SERVICE".into(),
                self.keyring_service().into(),
            ),
            ("ADVISOR_DESK_DATA_DIR".into(), self.data_dir().into()),
            ("XDG_DATA_HOME".into(), p.join("bare-data").into()),
            ("XDG_CONFIG_HOME".into(), p.join("bare-config").into()),
            ("XDG_CACHE_HOME".into(), p.join("xdg-cache").into()),
        ]
    }
}

impl Drop for DesktopHome {
    /// Stops the apps a test left running here and deletes this home's keychain entries.
    fn drop(&mut self) {
        stop_apps(self);
        let _ = Command::new("secret-tool")
            .args(["clear", "service", &self.keyring_service()])
            .status();
    }
}

/// A command with exactly `env` on top of this process's environment, minus the test
/// overrides `env` does not set.
pub fn command_with(program: &str, env: &[(String, OsString)]) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_remove("ADVISOR_DESK_DATA_DIR");
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// `gio launch <entry>`: what a desktop does when the advisor clicks the menu item. The app's
/// output goes to `<log_name>.log` among the artifacts.
pub fn launch_desktop_entry(entry: &Path, env: &[(String, OsString)], log_name: &str) {
    let mut cmd = command_with("gio", env);
    cmd.arg("launch").arg(entry);
    run_detached(cmd, log_name);
}

/// `gio open <url>`, as a browser or mail client hands a link to the desktop. The process it
/// starts writes to `<log_name>.log` among the artifacts.
pub fn gio_open(url: &str, env: &[(String, OsString)], log_name: &str) {
    let mut cmd = command_with("gio", env);
    cmd.arg("open").arg(url);
    run_detached(cmd, log_name);
}

/// Runs a `gio` command that starts a process and returns. Its output (and the started
/// process's, which inherits it) goes to a file: a pipe would stay open as long as the app
/// runs, and `Command::output` would wait for it.
fn run_detached(mut cmd: Command, log_name: &str) {
    let path = artifacts_dir().join(format!("{log_name}.log"));
    let log = std::fs::File::create(&path).expect("create the log file");
    let err = log.try_clone().expect("clone the log file");
    let status = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .status()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        status.success(),
        "{cmd:?} failed ({status}); see {}",
        path.display()
    );
}

/// Processes of the installed app running for `home` (matched by its keychain namespace,
/// which only this home's processes carry).
pub fn app_pids(home: &DesktopHome) -> Vec<u32> {
    let marker = format!("ADVISOR_DESK_KEYRING_SERVICE={}", home.keyring_service());
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    procs
        .flatten()
        .filter_map(|p| p.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            exe == Path::new(INSTALLED_BINARY)
                && environ
                    .split(|b| *b == 0)
                    .any(|var| var == marker.as_bytes())
        })
        .collect()
}

/// Waits until exactly one app process runs for `home` and returns it.
pub fn wait_single_app(home: &DesktopHome, timeout: Duration) -> u32 {
    let deadline = Instant::now() + timeout;
    loop {
        let pids = app_pids(home);
        if let [pid] = pids[..] {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "expected one {INSTALLED_BINARY} for this home, found {pids:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Ends the app processes this test started (by pid): TERM, then KILL after 10 s.
pub fn stop_apps(home: &DesktopHome) {
    let signal = |sig: &str, pids: &[u32]| {
        for pid in pids {
            let _ = Command::new("kill")
                .args([sig, &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    };
    signal("-TERM", &app_pids(home));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app_pids(home).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    signal("-KILL", &app_pids(home));
}

/// Waits until `file` exists and is not empty; returns its text.
pub fn wait_for_file(file: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if !text.trim().is_empty() {
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} did not appear within {timeout:?}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A screenshot of the whole X display (what a person would see), via ImageMagick.
pub fn screen_shot(path: &Path) {
    run(Command::new("import").args(["-window", "root"]).arg(path));
}

/// The installed binary under tauri-driver, in `home`'s environment.
pub struct DrivenApp {
    pub session: Session,
    driver: DriverProcess,
}

impl DrivenApp {
    /// Starts `binary` and waits for `first_css` in its main window.
    pub fn start(home: &DesktopHome, binary: &Path, log_name: &str, first_css: &str) -> DrivenApp {
        let log = artifacts_dir().join(format!("{log_name}.driver.log"));
        let mut cmd = command_with(&tauri_driver().to_string_lossy(), &home.env());
        // As DriverProcess::tauri_driver does, but with the data-folder override removed.
        let native_port = advisor_desk_testkit::webdriver::free_port().expect("a free port");
        cmd.arg("--native-driver")
            .arg(native_driver())
            .arg("--native-port")
            .arg(native_port.to_string());
        let driver = DriverProcess::spawn(
            cmd,
            |port| vec!["--port".into(), port.to_string()],
            Some(&log),
        )
        .unwrap_or_else(|e| panic!("tauri-driver did not start: {e}"));
        let session = Session::new(
            driver.url(),
            json!({ "tauri:options": { "application": binary } }),
        )
        .unwrap_or_else(|e| panic!("the installed app did not start under the driver: {e}"));
        let app = DrivenApp { session, driver };
        if let Err(e) = app.session.wait_for_css(first_css, STARTUP) {
            app.fail(log_name, &format!("first screen: {e}"));
        }
        app
    }

    /// Saves a screenshot next to the driver log, then panics with `what`.
    pub fn fail(&self, name: &str, what: &str) -> ! {
        let shot = artifacts_dir().join(format!("{name}.failure.png"));
        let _ = self.session.screenshot(&shot);
        panic!("{what} (screenshot: {})", shot.display());
    }

    /// Ends the session (closing the app) and stops the driver, then waits until no app
    /// process of `home` is left.
    pub fn quit(self, home: &DesktopHome) {
        let DrivenApp { session, driver } = self;
        session.delete().expect("end the WebDriver session");
        drop(driver);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !app_pids(home).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        stop_apps(home);
    }
}
