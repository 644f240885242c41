//! Start-up probe for the speed benchmark (`bench/startup`). Off unless the environment
//! variable [`ENV`] is set: then a script watches the main window until the book's first
//! rows are painted and reports it through [`startup_probe`], which prints one marker line
//! on stdout. The benchmark times its spawn of the app to that line. Unset (every real
//! start), no script is injected and the command does nothing.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::Runtime;

/// Set (to any value) by the benchmark harness only.
pub const ENV: &str = "ADVISOR_DESK_STARTUP_PROBE";

/// The line the harness waits for; the bare window (`bench/bare-window`) prints the same.
pub const MARKER: &str = "advisor-desk-probe: painted";

/// Runs in the main window before the UI's own scripts: when the first book row is in the
/// DOM, waits two animation frames (the second runs after the frame with the rows was
/// painted) and reports the book's subtitle ("500 clients · …") and a timeline in ms since
/// the page's time origin, in time order: the UI's own `advisor-desk:*` performance marks
/// (e.g. `script`, set by `ui/src/main.ts` once its script is evaluated), UI mounted, rows in
/// the DOM (data received and rendered), the frame with them begun (first animation frame),
/// painted (second).
const SCRIPT: &str = r#"(function () {
  if (location.protocol !== 'tauri:' && location.hostname !== 'tauri.localhost') return;
  var t = { mounted: -1, rows: -1, frame: -1 };
  var observer = new MutationObserver(function () {
    var app = document.getElementById('app');
    if (t.mounted < 0 && app && app.firstChild) t.mounted = performance.now();
    if (!document.querySelector('[data-testid=book-row]')) return;
    t.rows = performance.now();
    observer.disconnect();
    requestAnimationFrame(function () {
      t.frame = performance.now();
      requestAnimationFrame(function () {
        var count = document.querySelector('[data-testid=book-count]');
        var marks = [['mounted', t.mounted], ['rows', t.rows], ['frame', t.frame],
          ['painted', performance.now()]];
        performance.getEntriesByType('mark').forEach(function (m) {
          if (m.name.indexOf('advisor-desk:') === 0) marks.push([m.name.slice(13), m.startTime]);
        });
        marks.sort(function (a, b) { return a[1] - b[1]; });
        var detail = 'book ' + (count ? count.textContent.trim() : '?') +
          ' | origin=' + performance.timeOrigin.toFixed(1) + marks.map(function (m) {
            return ' ' + m[0] + '=' + m[1].toFixed(0);
          }).join('');
        window.__TAURI_INTERNALS__.invoke('startup_probe', { detail: detail });
      });
    });
  });
  observer.observe(document, { childList: true, subtree: true });
})();"#;

pub fn enabled() -> bool {
    std::env::var_os(ENV).is_some()
}

/// A plugin that only carries the script, and only when the probe is on.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    let builder = Builder::new("startup-probe");
    if enabled() {
        builder.js_init_script(SCRIPT.to_string()).build()
    } else {
        builder.build()
    }
}

/// The marker line for `detail`, or nothing when the probe is off.
pub fn marker_line(detail: &str) -> Option<String> {
    // One line, whatever the page sent.
    enabled().then(|| format!("{MARKER} {}", detail.replace(['\r', '\n'], " ")))
}

#[tauri::command]
pub fn startup_probe(detail: String) {
    if let Some(line) = marker_line(&detail) {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_unless_enabled_and_one_line() {
        // Tests in this crate never set ENV; the harness sets it on the app's process only.
        if enabled() {
            let line = marker_line("book 500\nclients").unwrap();
            assert_eq!(line, format!("{MARKER} book 500 clients"));
        } else {
            assert_eq!(marker_line("book 500 clients"), None);
        }
    }

    #[test]
    fn script_reports_through_the_probe_command() {
        assert!(SCRIPT.contains("invoke('startup_probe'"));
        assert!(SCRIPT.contains("[data-testid=book-row]"));
    }
}
