//! The app's link window under WebDriver: "Connect account" opens the provider's page in a
//! second window of the same driver session; the test switches to it, drives the page as a
//! person would (`pages`), and comes back to the main window once the app closed it. The
//! testkit client has no window calls, so the W3C ones are made here.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{RunningApp, ACTION};

/// One app's windows, remembering which is the main one.
pub struct LinkWindows<'a> {
    driver: &'a str,
    session: &'a str,
    main: String,
}

impl<'a> LinkWindows<'a> {
    /// Called while the main window is the current one.
    pub fn of(app: &'a RunningApp) -> LinkWindows<'a> {
        let mut w = LinkWindows {
            driver: app.driver_url(),
            session: app.session.id(),
            main: String::new(),
        };
        w.main = w.get("/window")["value"]
            .as_str()
            .expect("the current window's handle")
            .to_string();
        w
    }

    fn url(&self, rel: &str) -> String {
        format!("{}/session/{}{rel}", self.driver, self.session)
    }

    fn get(&self, rel: &str) -> Value {
        ureq::get(&self.url(rel))
            .call()
            .unwrap_or_else(|e| panic!("GET {rel}: {e}"))
            .body_mut()
            .read_json()
            .unwrap_or_else(|e| panic!("GET {rel}: {e}"))
    }

    /// Every window's handle, the main one's too.
    pub fn handles(&self) -> Vec<String> {
        self.get("/window/handles")["value"]
            .as_array()
            .expect("window handles")
            .iter()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect()
    }

    fn switch(&self, handle: &str) {
        ureq::post(&self.url("/window"))
            .send_json(json!({ "handle": handle }))
            .expect("switch window");
    }

    /// Waits for the link window and makes it the current one.
    pub fn to_link_window(&self) {
        let deadline = Instant::now() + ACTION;
        loop {
            if let Some(h) = self.handles().into_iter().find(|h| *h != self.main) {
                return self.switch(&h);
            }
            assert!(Instant::now() < deadline, "no link window appeared");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the app closed the link window, then makes the main one current again.
    pub fn back_when_closed(&self) {
        let deadline = Instant::now() + ACTION;
        while self.handles().iter().any(|h| *h != self.main) {
            assert!(Instant::now() < deadline, "the link window stayed open");
            std::thread::sleep(Duration::from_millis(200));
        }
        self.switch(&self.main);
    }
}
