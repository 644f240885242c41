//! A small, blocking W3C WebDriver client for end-to-end tests, plus a helper that starts a
//! driver binary on a free loopback port.
//!
//! It speaks the W3C protocol only (no vendor extensions), so the same code drives the app
//! through `tauri-driver` + `WebKitWebDriver` and a web page through `chromedriver`:
//!
//! ```no_run
//! use advisor_desk_testkit::webdriver::{DriverProcess, Session};
//! use std::time::Duration;
//!
//! let driver = DriverProcess::chromedriver("/usr/bin/chromedriver").unwrap();
//! let caps = serde_json::json!({"goog:chromeOptions": {"args": ["--headless=new"]}});
//! let session = Session::new(driver.url(), caps).unwrap();
//! session.navigate("data:text/html,<p id=hello>Hi</p>").unwrap();
//! let p = session.wait_for_css("#hello", Duration::from_secs(5)).unwrap();
//! assert_eq!(session.text(&p).unwrap(), "Hi");
//! session.delete().unwrap();
//! ```

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// The key under which W3C drivers return an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Screenshots of a large window are several MB of base64; the default body limit is 10 MB.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// How often `wait_until` polls.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum WebDriverError {
    /// The driver could not be reached or the connection broke.
    #[error("HTTP {method} {url} failed: {reason}")]
    Http {
        method: &'static str,
        url: String,
        reason: String,
    },
    /// The driver answered with a W3C error (`no such element`, `session not created`, …).
    #[error("WebDriver error `{error}` (HTTP {status}) on {method} {path}: {message}")]
    Protocol {
        method: &'static str,
        path: String,
        status: u16,
        error: String,
        message: String,
    },
    /// The driver answered with something that is not a W3C response.
    #[error("unexpected WebDriver response to {method} {path}: {detail}")]
    Unexpected {
        method: &'static str,
        path: String,
        detail: String,
    },
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
    #[error("cannot start the driver `{program}`: {reason}")]
    Spawn { program: String, reason: String },
    #[error("file error at {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

impl WebDriverError {
    /// The W3C error code (`no such element`, …) when the driver sent one.
    pub fn w3c_error(&self) -> Option<&str> {
        match self {
            WebDriverError::Protocol { error, .. } => Some(error),
            _ => None,
        }
    }
}

pub type Result<T, E = WebDriverError> = std::result::Result<T, E>;

/// A reference to an element in the current page, as the driver hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    id: String,
}

impl Element {
    pub fn id(&self) -> &str {
        &self.id
    }

    fn from_value(v: &Value) -> Option<Element> {
        v.get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element { id: id.to_string() })
    }

    fn to_value(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

/// The HTTP side: one agent that keeps 4xx/5xx bodies (that is where W3C errors are).
#[derive(Clone)]
struct Transport {
    agent: ureq::Agent,
    base: String,
}

impl Transport {
    fn new(base: &str) -> Transport {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Starting a WebKit app or a browser can take a while on a busy 2-core machine.
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Transport {
            agent,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn call(&self, method: &'static str, path: &str, body: Option<&Value>) -> Result<Value> {
        let url = format!("{}{}", self.base, path);
        let http_err = |reason: String| WebDriverError::Http {
            method,
            url: url.clone(),
            reason,
        };
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(body)) => self.agent.post(&url).send_json(body),
            (_, None) => self.agent.post(&url).send_json(json!({})),
        };
        let mut response = response.map_err(|e| http_err(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| http_err(e.to_string()))?;
        decode_response(method, path, status, &text)
    }
}

/// Turns a W3C response body into its `value`, or the error it carries.
fn decode_response(method: &'static str, path: &str, status: u16, text: &str) -> Result<Value> {
    let unexpected = |detail: String| WebDriverError::Unexpected {
        method,
        path: path.to_string(),
        detail,
    };
    let body: Value = serde_json::from_str(text).map_err(|e| {
        unexpected(format!(
            "HTTP {status}, body is not JSON ({e}): {}",
            text.chars().take(200).collect::<String>()
        ))
    })?;
    let value = body
        .get("value")
        .cloned()
        .ok_or_else(|| unexpected(format!("HTTP {status}, no `value` in the body")))?;
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        return Err(WebDriverError::Protocol {
            method,
            path: path.to_string(),
            status,
            error: error.to_string(),
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        });
    }
    if !(200..300).contains(&status) {
        return Err(unexpected(format!("HTTP {status} without a W3C error")));
    }
    Ok(value)
}

/// One WebDriver session. Call [`Session::delete`] at the end: it closes the browser or app.
pub struct Session {
    transport: Transport,
    id: String,
}

/// Repaints a 1×1 px, 1/255-opaque corner element for 60 frames, then removes it.
const NUDGE_PAINTS: &str = "var d = document.createElement('div'); \
    d.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;\
    pointer-events:none;z-index:2147483647'; \
    (document.body || document.documentElement).appendChild(d); \
    var n = 0; \
    (function frame() { \
      d.style.background = n % 2 ? 'rgba(0,0,0,0.004)' : 'rgba(255,255,255,0.004)'; \
      if (++n < 60) requestAnimationFrame(frame); else d.remove(); \
    })(); \
    return true;";

impl Session {
    /// Starts a session on the driver at `driver_url` (`http://127.0.0.1:PORT`) with
    /// `capabilities` as the W3C `alwaysMatch` object.
    pub fn new(driver_url: &str, capabilities: Value) -> Result<Session> {
        let transport = Transport::new(driver_url);
        let value = transport.call(
            "POST",
            "/session",
            Some(&json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| WebDriverError::Unexpected {
                method: "POST",
                path: "/session".into(),
                detail: format!("no sessionId in {value}"),
            })?
            .to_string();
        Ok(Session { transport, id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn get(&self, rel: &str) -> Result<Value> {
        self.transport
            .call("GET", &format!("/session/{}{rel}", self.id), None)
    }

    fn post(&self, rel: &str, body: Value) -> Result<Value> {
        self.transport
            .call("POST", &format!("/session/{}{rel}", self.id), Some(&body))
    }

    fn expect_string(&self, what: &str, v: Value) -> Result<String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| WebDriverError::Unexpected {
                method: "GET",
                path: what.to_string(),
                detail: format!("expected a string, got {v}"),
            })
    }

    /// Handles of every open top-level browsing context (window).
    pub fn window_handles(&self) -> Result<Vec<String>> {
        let v = self.get("/window/handles")?;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_string))
                    .collect()
            })
            .ok_or_else(|| WebDriverError::Unexpected {
                method: "GET",
                path: "/window/handles".into(),
                detail: format!("expected an array, got {v}"),
            })
    }

    /// The handle of the window commands go to.
    pub fn current_window(&self) -> Result<String> {
        let v = self.get("/window")?;
        self.expect_string("/window", v)
    }

    /// Sends the next commands to the window `handle`.
    pub fn switch_to_window(&self, handle: &str) -> Result<()> {
        self.post("/window", json!({ "handle": handle })).map(drop)
    }

    pub fn navigate(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).map(drop)
    }

    pub fn current_url(&self) -> Result<String> {
        let v = self.get("/url")?;
        self.expect_string("/url", v)
    }

    pub fn title(&self) -> Result<String> {
        let v = self.get("/title")?;
        self.expect_string("/title", v)
    }

    /// The first element matching the CSS selector (W3C `no such element` if none).
    pub fn find(&self, css: &str) -> Result<Element> {
        let v = self.post("/element", json!({ "using": "css selector", "value": css }))?;
        Element::from_value(&v).ok_or_else(|| WebDriverError::Unexpected {
            method: "POST",
            path: "/element".into(),
            detail: format!("no element reference in {v}"),
        })
    }

    /// Every element matching the CSS selector, possibly none.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let v = self.post(
            "/elements",
            json!({ "using": "css selector", "value": css }),
        )?;
        let items = v.as_array().ok_or_else(|| WebDriverError::Unexpected {
            method: "POST",
            path: "/elements".into(),
            detail: format!("expected an array, got {v}"),
        })?;
        items
            .iter()
            .map(|item| {
                Element::from_value(item).ok_or_else(|| WebDriverError::Unexpected {
                    method: "POST",
                    path: "/elements".into(),
                    detail: format!("no element reference in {item}"),
                })
            })
            .collect()
    }

    pub fn click(&self, el: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", el.id), json!({}))
            .map(drop)
    }

    pub fn clear(&self, el: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", el.id), json!({}))
            .map(drop)
    }

    pub fn send_keys(&self, el: &Element, text: &str) -> Result<()> {
        self.post(
            &format!("/element/{}/value", el.id),
            json!({ "text": text }),
        )
        .map(drop)
    }

    /// The element's rendered text.
    pub fn text(&self, el: &Element) -> Result<String> {
        let v = self.get(&format!("/element/{}/text", el.id))?;
        self.expect_string("/text", v)
    }

    /// An HTML attribute, `None` when absent.
    pub fn attribute(&self, el: &Element, name: &str) -> Result<Option<String>> {
        let v = self.get(&format!("/element/{}/attribute/{name}", el.id))?;
        Ok(v.as_str().map(str::to_string))
    }

    /// A DOM property (e.g. `value` of an input, which the attribute does not track).
    pub fn property(&self, el: &Element, name: &str) -> Result<Value> {
        self.get(&format!("/element/{}/property/{name}", el.id))
    }

    /// Runs a synchronous script in the page; elements in `args` are passed as DOM nodes.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs an asynchronous script: it receives a callback as its last argument and the
    /// value it passes to that callback is returned (e.g. the outcome of a promise).
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// `Element` as a script argument for [`Session::execute`].
    pub fn arg(el: &Element) -> Value {
        el.to_value()
    }

    /// Saves a PNG of the viewport to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        // WebKitWebDriver answers a screenshot after the page's next paint. The app's webviews
        // run without accelerated compositing (`src-tauri/src/webview_settings.rs`), and a page
        // painted that way does not paint again until something changes: a screenshot of a
        // still page would wait forever. A few frames of a nearly transparent pixel give it
        // those paints; the pixel is gone when the frames end.
        self.execute(NUDGE_PAINTS, vec![])?;
        let v = self.get("/screenshot")?;
        let b64 = self.expect_string("/screenshot", v)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| WebDriverError::Unexpected {
                method: "GET",
                path: "/screenshot".into(),
                detail: format!("not base64: {e}"),
            })?;
        std::fs::write(path, png).map_err(|e| WebDriverError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Polls for the first element matching `css` until it exists or `timeout` passes.
    pub fn wait_for_css(&self, css: &str, timeout: Duration) -> Result<Element> {
        wait_until(
            &format!("an element matching `{css}`"),
            timeout,
            || match self.find(css) {
                Ok(el) => Ok(Some(el)),
                Err(e) if e.w3c_error() == Some("no such element") => Ok(None),
                Err(e) => Err(e),
            },
        )
    }

    /// Polls until the element matching `css` has text satisfying `pred`; returns the text.
    pub fn wait_for_text(
        &self,
        css: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String> {
        wait_until(&format!("text of `{css}` to match"), timeout, || {
            let el = match self.find(css) {
                Ok(el) => el,
                Err(e) if e.w3c_error() == Some("no such element") => return Ok(None),
                Err(e) => return Err(e),
            };
            match self.text(&el) {
                Ok(t) if pred(&t) => Ok(Some(t)),
                Ok(_) => Ok(None),
                // The element was re-rendered between find and read: look again.
                Err(e) if e.w3c_error() == Some("stale element reference") => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// Ends the session (the driver closes the browser or app).
    pub fn delete(self) -> Result<()> {
        self.transport
            .call("DELETE", &format!("/session/{}", self.id), None)
            .map(drop)
    }
}

/// Calls `probe` every 100 ms until it returns `Ok(Some(_))`, an error, or `timeout` passes.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = probe()? {
            return Ok(v);
        }
        if start.elapsed() >= timeout {
            return Err(WebDriverError::Timeout {
                what: what.to_string(),
                after: timeout,
            });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A driver binary listening on a free loopback port. Dropping it stops the driver and
/// everything it started (browser, app), which all live in the driver's process group.
pub struct DriverProcess {
    child: Child,
    port: u16,
    url: String,
    log: Option<PathBuf>,
}

/// How long a driver may take to answer `/status` after it was started.
pub const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);

impl DriverProcess {
    /// Starts `command` with the arguments `port_args(port)` appended, for a free port, and
    /// waits until `GET /status` answers. The driver's output goes to `log` when given.
    pub fn spawn(
        mut command: Command,
        port_args: impl FnOnce(u16) -> Vec<String>,
        log: Option<&Path>,
    ) -> Result<DriverProcess> {
        let program = command.get_program().to_string_lossy().into_owned();
        let port = free_port().map_err(|e| WebDriverError::Spawn {
            program: program.clone(),
            reason: format!("no free port: {e}"),
        })?;
        command.args(port_args(port)).stdin(Stdio::null());
        match log {
            Some(path) => {
                let file = File::create(path).map_err(|e| WebDriverError::Io {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
                let err = file.try_clone().map_err(|e| WebDriverError::Io {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
                command.stdout(file).stderr(err);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so Drop can stop the browser/app it launches too.
            command.process_group(0);
        }
        let child = command.spawn().map_err(|e| WebDriverError::Spawn {
            program: program.clone(),
            reason: e.to_string(),
        })?;
        let mut driver = DriverProcess {
            child,
            port,
            url: format!("http://127.0.0.1:{port}"),
            log: log.map(Path::to_path_buf),
        };
        driver.wait_ready(&program)?;
        Ok(driver)
    }

    /// `tauri-driver --port P --native-port Q --native-driver <native>`; `envs` reach the
    /// app it launches. Both ports are free ones, so several apps can be driven at once
    /// (tauri-driver's fixed default native port would make parallel runs collide).
    pub fn tauri_driver<K, V>(
        tauri_driver: &Path,
        native_driver: &Path,
        envs: impl IntoIterator<Item = (K, V)>,
        log: Option<&Path>,
    ) -> Result<DriverProcess>
    where
        K: AsRef<std::ffi::OsStr>,
        V: AsRef<std::ffi::OsStr>,
    {
        let native_port = free_port().map_err(|e| WebDriverError::Spawn {
            program: tauri_driver.display().to_string(),
            reason: format!("no free port: {e}"),
        })?;
        let mut cmd = Command::new(tauri_driver);
        cmd.arg("--native-driver")
            .arg(native_driver)
            .arg("--native-port")
            .arg(native_port.to_string());
        cmd.envs(envs);
        DriverProcess::spawn(cmd, |port| vec!["--port".into(), port.to_string()], log)
    }

    /// `chromedriver --port=P`.
    pub fn chromedriver(chromedriver: impl AsRef<Path>) -> Result<DriverProcess> {
        let cmd = Command::new(chromedriver.as_ref());
        DriverProcess::spawn(cmd, |port| vec![format!("--port={port}")], None)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_ready(&mut self, program: &str) -> Result<()> {
        let transport = Transport::new(&self.url);
        let log = self.log.clone();
        let child = &mut self.child;
        wait_until(
            &format!("`{program}` to answer /status"),
            DRIVER_START_TIMEOUT,
            || {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(WebDriverError::Spawn {
                        program: program.to_string(),
                        reason: format!("exited with {status}{}", log_tail(log.as_deref())),
                    });
                }
                // Connection refused until it listens; any W3C answer means it is up.
                match transport.call("GET", "/status", None) {
                    Ok(_) => Ok(Some(())),
                    Err(WebDriverError::Http { .. }) => Ok(None),
                    Err(WebDriverError::Unexpected { .. })
                    | Err(WebDriverError::Protocol { .. }) => Ok(Some(())),
                    Err(e) => Err(e),
                }
            },
        )
    }

    /// Stops the driver's whole process group: TERM, then KILL if it lingers.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        #[cfg(unix)]
        {
            let pgid = self.child.id() as libc::pid_t;
            // SAFETY: plain syscall on a process group this struct created.
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    // The leader is gone; make sure nothing of the group survives it.
                    unsafe { libc::kill(-pgid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

fn log_tail(log: Option<&Path>) -> String {
    let Some(path) = log else {
        return String::new();
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    format!("; last output:\n{tail}")
}

/// A port nothing listens on right now (the OS picks it; a tiny race is acceptable in tests).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests;
