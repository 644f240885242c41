//! Records every IPC payload of the main window, both ways, for tests that audit them.
//!
//! `__TAURI_INTERNALS__.invoke` / `transformCallback` cannot be wrapped: Tauri defines them
//! with `Object.defineProperty` (read-only), and `freezePrototype` is on. The recorder hooks the
//! two doors they use instead, both looked up at call time:
//! - requests: `window.fetch` to `ipc://localhost/<command>` (the custom-protocol IPC), and
//!   `window.ipc.postMessage` (Tauri's fallback);
//! - everything that comes back (command results and errors, events, channel messages): Tauri
//!   delivers each with `runCallback(id, data)`, which looks the handler up with
//!   `__TAURI_INTERNALS__.callbacks.get(id)`; the recorder shadows `get` on that Map instance,
//!   so handlers registered before it was installed (the UI's event listeners) are seen too.
//!
//! Records live in the page's memory only (never in web storage, which an audit scans). A
//! reload loses the recorder and what it held: call [`IpcRecorder::collect`] often; it drains
//! the page and reinstalls the recorder when the page is a new one.

use advisor_desk_testkit::webdriver::Session;
use serde_json::Value;

const INSTALL: &str = r#"
if (window.__ipcRecorder) return 'present';
const T = window.__TAURI_INTERNALS__;
if (!T || !T.callbacks) return 'no-internals';
const rec = { items: [], seq: 0, hooks: [] };
const text = (data) => {
  if (data === undefined) return 'undefined';
  if (typeof data === 'string') return data;
  try {
    if (data instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(data));
    if (ArrayBuffer.isView(data)) {
      return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    return JSON.stringify(data);
  } catch (e) {
    return String(data);
  }
};
const push = (dir, name, data) => rec.items.push({ seq: rec.seq++, dir, name, text: text(data) });
const fetch0 = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : (input && input.url) || String(input);
  if (url.startsWith('ipc:') || url.startsWith('http://ipc.localhost')) {
    const cmd = decodeURIComponent(url.replace(/[?#].*$/, '').split('/').pop());
    push('request', cmd, init && init.body);
  }
  return fetch0.apply(this, arguments);
};
rec.hooks.push('fetch');
try {
  const ipc = window.ipc;
  const post0 = ipc.postMessage;
  ipc.postMessage = function (m) {
    push('request', 'postMessage', m);
    return post0.apply(this, arguments);
  };
  if (ipc.postMessage !== post0) rec.hooks.push('postMessage');
} catch (e) {}
const callbacks = T.callbacks;
const get0 = Map.prototype.get;
callbacks.get = function (id) {
  const f = get0.call(callbacks, id);
  if (typeof f !== 'function') return f;
  return function (data) {
    push('callback', String(id), data);
    return f.apply(this, arguments);
  };
};
if (callbacks.get !== get0) rec.hooks.push('callbacks');
window.__ipcRecorder = rec;
return 'installed:' + rec.hooks.join(',');
"#;

const DRAIN: &str = "const r = window.__ipcRecorder;
    if (!r) return null;
    const out = r.items;
    r.items = [];
    return out;";

/// One recorded payload.
#[derive(Debug, Clone)]
pub struct IpcRecord {
    /// Order within one installation of the recorder.
    pub seq: u64,
    /// `request` (page → Rust) or `callback` (Rust → page: results, events, channels).
    pub dir: String,
    /// The command for a request, the callback id for a callback.
    pub name: String,
    /// The payload as sent or received (JSON, or text decoded from bytes).
    pub text: String,
}

impl IpcRecord {
    fn from_json(v: &Value) -> IpcRecord {
        let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        IpcRecord {
            seq: v["seq"].as_u64().unwrap_or_default(),
            dir: field("dir"),
            name: field("name"),
            text: field("text"),
        }
    }

    /// The command's arguments / the event or result, parsed when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.text).ok()
    }

    /// The event name of an event delivered to a listener (`sync://progress`, …).
    pub fn event(&self) -> Option<String> {
        let v = self.json()?;
        v.get("event")?.as_str().map(str::to_string)
    }
}

/// The records collected so far, across reloads.
#[derive(Debug, Default)]
pub struct IpcRecorder {
    pub records: Vec<IpcRecord>,
    /// How many times the recorder was (re)installed in a page.
    pub installs: u32,
}

impl IpcRecorder {
    pub fn new() -> IpcRecorder {
        IpcRecorder::default()
    }

    /// Installs the recorder in the current page if it is not there (a new page after a
    /// reload). Panics if the page has no Tauri internals or a hook could not be placed.
    pub fn ensure(&mut self, s: &Session) {
        let r = s
            .execute(INSTALL, vec![])
            .expect("install the IPC recorder");
        let r = r.as_str().unwrap_or_default();
        if r == "present" {
            return;
        }
        assert!(
            r.starts_with("installed:") && r.contains("fetch") && r.contains("callbacks"),
            "the IPC recorder could not hook the page: {r}"
        );
        self.installs += 1;
    }

    /// Moves what the page recorded into `records`, then makes sure the recorder is in place.
    pub fn collect(&mut self, s: &Session) {
        let v = s.execute(DRAIN, vec![]).expect("read the IPC recorder");
        if !v.is_null() {
            let items = v.as_array().expect("IPC records are a list");
            self.records.extend(items.iter().map(IpcRecord::from_json));
        }
        self.ensure(s);
    }

    pub fn requests<'a>(&'a self, command: &'a str) -> impl Iterator<Item = &'a IpcRecord> {
        self.records
            .iter()
            .filter(move |r| r.dir == "request" && r.name == command)
    }

    pub fn events<'a>(&'a self, event: &'a str) -> impl Iterator<Item = &'a IpcRecord> {
        self.records
            .iter()
            .filter(move |r| r.dir == "callback" && r.event().as_deref() == Some(event))
    }
}
