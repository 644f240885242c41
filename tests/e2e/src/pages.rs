//! Driving provider and bank pages in a link window the way a person does: typing, clicking,
//! and clicking a button whose page goes away.

use std::path::PathBuf;
use std::time::Duration;

use advisor_desk_testkit::webdriver::Session;

use crate::ACTION;

/// Types `text` into the field `css` once it is there.
pub fn fill(s: &Session, css: &str, text: &str) {
    let el = s.wait_for_css(css, ACTION).expect(css);
    s.send_keys(&el, text).expect("type");
}

/// A real (WebDriver) click on `css` once it is there: a user gesture for the page.
pub fn click(s: &Session, css: &str) {
    let el = s.wait_for_css(css, ACTION).expect(css);
    s.click(&el).expect("click");
}

/// Clicks a button that leaves the page: a form post to the next step, or the last step,
/// whose redirect the app cancels before closing the window. A WebDriver click waits for the
/// navigation it starts, which here may never complete (and on a loaded machine fails the
/// click), so the click is dispatched from the page and the caller waits for what comes next.
pub fn click_and_leave(s: &Session, css: &str) {
    s.wait_for_css(css, ACTION).expect(css);
    let selector = serde_json::to_string(css).unwrap();
    s.execute(
        &format!("setTimeout(() => document.querySelector({selector}).click(), 0); return true"),
        vec![],
    )
    .expect("click");
}

/// Saves the whole X screen (the app as a person sees it) as `docs/screenshots/app-NAME.png`,
/// else the webview's own capture.
pub fn doc_screenshot(s: &Session, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("app-{name}.png"));
    // Let the last render reach the screen.
    std::thread::sleep(Duration::from_millis(600));
    let grabbed = std::process::Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status()
        .is_ok_and(|st| st.success());
    if !grabbed {
        s.screenshot(&path).unwrap();
    }
}
