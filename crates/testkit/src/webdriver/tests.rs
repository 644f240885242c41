//! The client against a scripted W3C server on loopback (fast, always runs), and against a
//! real chromedriver + headless Chromium (ignored; `cargo test -p advisor-desk-testkit --
//! --ignored`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::*;

type Handler = dyn Fn(&str, &str, &Value) -> (u16, Value) + Send + Sync;

/// A tiny HTTP/1.1 server answering each request with `handler(method, path, body)` and
/// recording what it was sent.
struct ScriptedDriver {
    url: String,
    requests: Arc<Mutex<Vec<(String, String, Value)>>>,
}

impl ScriptedDriver {
    fn start(handler: impl Fn(&str, &str, &Value) -> (u16, Value) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let (status, reply) = handler(&method, &path, &body);
                seen.lock().unwrap().push((method, path, body));
                let reply = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        ScriptedDriver { url, requests }
    }
}

fn session_on(driver: &ScriptedDriver) -> Session {
    Session::new(&driver.url, json!({"browserName": "test"})).unwrap()
}

fn w3c_scripted() -> ScriptedDriver {
    ScriptedDriver::start(|method, path, body| match (method, path) {
        ("POST", "/session") => (
            200,
            json!({"value": {"sessionId": "s1", "capabilities": {}}}),
        ),
        ("POST", "/session/s1/element") if body["value"] == "#here" => {
            (200, json!({"value": {ELEMENT_KEY: "e1"}}))
        }
        ("POST", "/session/s1/element") => (
            404,
            json!({"value": {"error": "no such element", "message": "nothing matches", "stacktrace": ""}}),
        ),
        ("POST", "/session/s1/elements") => (
            200,
            json!({"value": [{ELEMENT_KEY: "e1"}, {ELEMENT_KEY: "e2"}]}),
        ),
        ("GET", "/session/s1/element/e1/text") => (200, json!({"value": "Álvarez family"})),
        ("GET", "/session/s1/element/e1/attribute/data-kind") => {
            (200, json!({"value": "household"}))
        }
        ("GET", "/session/s1/element/e1/attribute/missing") => (200, json!({"value": null})),
        ("POST", "/session/s1/element/e1/value") => (200, json!({"value": null})),
        ("POST", "/session/s1/execute/sync") => (200, json!({"value": body["args"].clone()})),
        ("POST", "/session/s1/execute/async") => (200, json!({"value": body["script"].clone()})),
        ("GET", "/session/s1/url") => (200, json!({"value": "tauri://localhost/"})),
        // "PNG" in base64.
        ("GET", "/session/s1/screenshot") => (200, json!({"value": "UE5H"})),
        ("DELETE", "/session/s1") => (200, json!({"value": null})),
        _ => (
            500,
            json!({"value": {"error": "unknown command", "message": path}}),
        ),
    })
}

#[test]
fn speaks_w3c_and_decodes_answers() {
    let driver = w3c_scripted();
    let s = session_on(&driver);
    assert_eq!(s.id(), "s1");
    let el = s.find("#here").unwrap();
    assert_eq!(el.id(), "e1");
    assert_eq!(s.text(&el).unwrap(), "Álvarez family");
    assert_eq!(
        s.attribute(&el, "data-kind").unwrap().as_deref(),
        Some("household")
    );
    assert_eq!(s.attribute(&el, "missing").unwrap(), None);
    assert_eq!(s.find_all("li").unwrap().len(), 2);
    s.send_keys(&el, "Ana").unwrap();
    assert_eq!(s.current_url().unwrap(), "tauri://localhost/");
    let echoed = s
        .execute("return arguments", vec![Session::arg(&el), json!(3)])
        .unwrap();
    assert_eq!(echoed, json!([{ELEMENT_KEY: "e1"}, 3]));
    let script = "arguments[0](42)";
    assert_eq!(s.execute_async(script, vec![]).unwrap(), json!(script));

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("shot.png");
    s.screenshot(&png).unwrap();
    assert_eq!(std::fs::read(&png).unwrap(), b"PNG");
    s.delete().unwrap();

    let requests = driver.requests.lock().unwrap();
    assert_eq!(
        requests[0].2,
        json!({"capabilities": {"alwaysMatch": {"browserName": "test"}}})
    );
    let typed = requests
        .iter()
        .find(|r| r.1.ends_with("/value"))
        .expect("send_keys was sent");
    assert_eq!(typed.2, json!({"text": "Ana"}));
    assert_eq!(requests.last().unwrap().0, "DELETE");
}

#[test]
fn w3c_errors_keep_their_code_and_message() {
    let driver = w3c_scripted();
    let s = session_on(&driver);
    let err = s.find("#absent").unwrap_err();
    assert_eq!(err.w3c_error(), Some("no such element"));
    assert!(err.to_string().contains("nothing matches"), "{err}");
}

#[test]
fn waiting_for_a_missing_element_times_out_with_a_clear_error() {
    let driver = w3c_scripted();
    let s = session_on(&driver);
    let start = Instant::now();
    let err = s
        .wait_for_css("#absent", Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(err, WebDriverError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("#absent"), "{err}");
    assert!(start.elapsed() >= Duration::from_millis(300));
    // Waiting for text returns the text once the predicate holds.
    let text = s
        .wait_for_text("#here", Duration::from_secs(5), |t| {
            t.starts_with("Álvarez")
        })
        .unwrap();
    assert_eq!(text, "Álvarez family");
}

#[test]
fn a_non_w3c_answer_is_an_error_not_a_panic() {
    let driver = ScriptedDriver::start(|_, _, _| (502, json!({"oops": true})));
    let err = Session::new(&driver.url, json!({})).err().unwrap();
    assert!(matches!(err, WebDriverError::Unexpected { .. }), "{err}");
}

#[test]
fn a_driver_that_exits_at_once_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("driver.log");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo driver says no >&2; exit 3", "sh"]);
    let err = DriverProcess::spawn(cmd, |p| vec![p.to_string()], Some(&log))
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(msg.contains("exited"), "{msg}");
    assert!(msg.contains("driver says no"), "{msg}");
}

#[test]
#[ignore = "needs chromium + chromedriver; run: cargo test -p advisor-desk-testkit -- --ignored"]
fn drives_headless_chromium_through_chromedriver() {
    let driver = DriverProcess::chromedriver("/usr/bin/chromedriver").unwrap();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        }
    });
    let s = Session::new(driver.url(), caps).unwrap();
    s.navigate(
        "data:text/html,<input id=name><button id=go onclick=\"document.getElementById('out').textContent='Hello '+document.getElementById('name').value\">Go</button><p id=out></p>",
    )
    .unwrap();
    let input = s.wait_for_css("#name", Duration::from_secs(10)).unwrap();
    s.send_keys(&input, "Beatriz").unwrap();
    assert_eq!(s.property(&input, "value").unwrap(), json!("Beatriz"));
    s.click(&s.find("#go").unwrap()).unwrap();
    let text = s
        .wait_for_text("#out", Duration::from_secs(5), |t| !t.is_empty())
        .unwrap();
    assert_eq!(text, "Hello Beatriz");
    assert!(s.current_url().unwrap().starts_with("data:text/html"));
    let later = s
        .execute_async(
            "const done = arguments[arguments.length - 1]; setTimeout(() => done(6 * 7), 50);",
            vec![],
        )
        .unwrap();
    assert_eq!(later, json!(42));
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("page.png");
    s.screenshot(&png).unwrap();
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
    s.delete().unwrap();
}
