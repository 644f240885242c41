//! The test notification server (`support/notification_server.py`) on the test's session bus:
//! it owns `org.freedesktop.Notifications`, records every notification the app sends, and
//! plays the person clicking one (the specification's `ActionInvoked` signal).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::artifacts_dir;

pub struct NotificationServer {
    child: Child,
    out: PathBuf,
}

impl NotificationServer {
    /// Starts the server; what it receives is written to `{name}-notifications.jsonl` in the
    /// artifacts folder.
    pub fn start(name: &str) -> NotificationServer {
        let out = artifacts_dir().join(format!("{name}-notifications.jsonl"));
        let _ = std::fs::remove_file(&out);
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/notification_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&out)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the test notification server (python3-dbus, python3-gi)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the notification server owns its name"
        );
        NotificationServer { child, out }
    }

    /// Every notification received so far: `{id, app_name, summary, body, actions}`.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// A click on notification `id` (`action` "default": on the notification itself), as a
    /// desktop's notification server reports it.
    pub fn click(&self, id: u64, action: &str) {
        let out = Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.Notifications",
                "--object-path",
                "/org/freedesktop/Notifications",
                "--method",
                "org.advisordesk.TestNotifications.Invoke",
                &id.to_string(),
                action,
            ])
            .output()
            .expect("gdbus");
        assert!(
            out.status.success(),
            "the click was not delivered: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for NotificationServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
