//! New windows asked for inside a link flow. Provider and bank pages open windows for two
//! reasons, and each gets its own answer:
//!
//! - **A step of the flow** (`window.open`: a bank's OAuth sign-in from Flinks Connect, a
//!   bank page's own pop-up): a *child link window* — built by `links::link_window_builder`
//!   like its parent, so no capability, no disk cache and the same navigation guard that
//!   catches the callback — and related to the page that opened it (`window_features` sets
//!   WebKitGTK's related view), so `window.opener` and `postMessage` work. It closes when its
//!   page calls `window.close()`, and with its parent.
//! - **A page for reading** (`<a target="_blank">` to a page that is not the provider's: a
//!   bank's help page): the system browser; the link window stays where it is. The injected
//!   script ([`reading_links_script`]) turns such a click into an
//!   `advisordesk://link/open?url=…` navigation, which the guard cancels and hands here.
//!
//! Anything else (another scheme) is refused; the page then learns that no window opened (a
//! `null` from `window.open`), and Flinks Connect reports `POPUP_BLOCKED`, which ends the
//! session with wording that tells the advisor what to do next.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tauri::webview::{NewWindowFeatures, NewWindowResponse};
use tauri::{AppHandle, Emitter, Runtime, Url, WebviewUrl, WebviewWindow};

use crate::links::{is_callback, LinkFlowWindow, LINK_WINDOW_PREFIX};

/// What to do with a new window a link page asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewWindow {
    /// An http(s) page: a child link window.
    Child,
    /// The app's callback opened in a new window: handled as the flow's result.
    Callback,
    /// Mail and phone links: the system's handler.
    System,
    /// Anything else (`javascript:`, `data:`, `file:`…).
    Refused,
}

pub fn classify(url: &Url) -> NewWindow {
    match url.scheme() {
        "http" | "https" => NewWindow::Child,
        "mailto" | "tel" => NewWindow::System,
        _ if is_callback(url) => NewWindow::Callback,
        _ => NewWindow::Refused,
    }
}

/// Label of the `n`th child window of `session_id`'s flow: `link-<session>-popup-<n>`.
pub fn child_label(session_id: i64, n: u64) -> String {
    format!("{LINK_WINDOW_PREFIX}{session_id}-popup-{n}")
}

/// Whether `label` is a window of `session_id`'s flow (its link window or a child).
pub fn belongs_to_flow(label: &str, session_id: i64) -> bool {
    let parent = format!("{LINK_WINDOW_PREFIX}{session_id}");
    label == parent
        || label
            .strip_prefix(&parent)
            .is_some_and(|rest| rest.starts_with("-popup-"))
}

static NEXT_CHILD: AtomicU64 = AtomicU64::new(1);

/// Event the main window receives when a link page's window or link could not be opened.
pub const WINDOW_NOTICE_EVENT: &str = "link://window-notice";

/// A new window or a page for reading that the app could not open: the advisor is told,
/// never left with a click that did nothing. `page` is the address without its query or
/// fragment (they may carry a one-use code).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LinkWindowNotice {
    pub session_id: i64,
    /// `browser_failed` (the system browser did not start), `window_failed` (a child link
    /// window could not be built) or `refused` (a scheme the flow never opens).
    #[cfg_attr(test, ts(type = "'browser_failed' | 'window_failed' | 'refused'"))]
    pub kind: &'static str,
    pub page: String,
}

impl LinkWindowNotice {
    pub fn new(session_id: i64, kind: &'static str, url: &Url) -> Self {
        let mut page = url.clone();
        page.set_query(None);
        page.set_fragment(None);
        LinkWindowNotice {
            session_id,
            kind,
            page: page.to_string(),
        }
    }
}

fn tell_advisor<R: Runtime>(app: &AppHandle<R>, notice: LinkWindowNotice) {
    let _ = app.emit_to("main", WINDOW_NOTICE_EVENT, notice);
}

/// The `on_new_window` handler of every window of a link flow.
pub fn new_window_handler<R: Runtime>(
    app: AppHandle<R>,
    flow: LinkFlowWindow,
) -> impl Fn(Url, NewWindowFeatures) -> NewWindowResponse<R> + Send + 'static {
    move |url, features| match classify(&url) {
        NewWindow::Child => match open_child(&app, &flow, features) {
            Ok(window) => NewWindowResponse::Create { window },
            Err(e) => {
                eprintln!("advisor-desk: a link page's new window could not open: {e}");
                tell_advisor(
                    &app,
                    LinkWindowNotice::new(flow.session_id, "window_failed", &url),
                );
                NewWindowResponse::Deny
            }
        },
        NewWindow::Callback => {
            crate::links::finish_with_callback(&app, flow.session_id, url.as_str());
            NewWindowResponse::Deny
        }
        NewWindow::System => {
            open_in_system_browser(&app, flow.session_id, &url);
            NewWindowResponse::Deny
        }
        NewWindow::Refused => {
            eprintln!(
                "advisor-desk: a link page asked for a {} window; refused",
                url.scheme()
            );
            tell_advisor(
                &app,
                LinkWindowNotice::new(flow.session_id, "refused", &url),
            );
            NewWindowResponse::Deny
        }
    }
}

/// A child link window, related to its opener. WebKit loads the requested page into it.
fn open_child<R: Runtime>(
    app: &AppHandle<R>,
    flow: &LinkFlowWindow,
    features: NewWindowFeatures,
) -> tauri::Result<WebviewWindow<R>> {
    let label = child_label(flow.session_id, NEXT_CHILD.fetch_add(1, Ordering::Relaxed));
    let blank = WebviewUrl::External("about:blank".parse().expect("about:blank is a URL"));
    let window = crate::links::link_window_builder(app, &label, blank, flow.clone())
        .title("Advisor Desk — bank sign-in")
        .inner_size(520.0, 720.0)
        .window_features(features)
        .build()?;
    crate::webview_settings::apply(&window);
    close_when_page_closes(&window);
    Ok(window)
}

/// `window.close()` in a child's page destroys only its webview (wry); close the window too.
fn close_when_page_closes<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let w = window.clone();
        let done = window.with_webview(move |webview| {
            use webkit2gtk::WebViewExt;
            let w = w.clone();
            webview.inner().connect_close(move |_| {
                let _ = w.close();
            });
        });
        if let Err(e) = done {
            eprintln!("advisor-desk: a child link window cannot follow its page's close: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// The page of an `advisordesk://link/open?url=…` navigation, when it is http(s).
pub fn reading_link(target: &Url) -> Option<Url> {
    if !is_callback(target) || target.host_str() != Some("link") || target.path() != "/open" {
        return None;
    }
    let page = target
        .query_pairs()
        .find(|(k, _)| k == "url")
        .and_then(|(_, v)| Url::parse(&v).ok())?;
    matches!(page.scheme(), "http" | "https").then_some(page)
}

/// Hands `url` to the desktop's browser (or mail/phone handler). Never blocks the caller;
/// when no browser starts, the advisor is told which page it was.
pub fn open_in_system_browser<R: Runtime>(app: &AppHandle<R>, session_id: i64, url: &Url) {
    if let Err(e) = open::that_detached(url.as_str()) {
        eprintln!("advisor-desk: the system browser could not open a link page's link: {e}");
        tell_advisor(
            app,
            LinkWindowNotice::new(session_id, "browser_failed", url),
        );
    }
}

/// Injected into every window of a link flow: a click on `<a target="_blank">` to a page on
/// another origin than the provider's (`provider_origin`) is a page for reading, sent to the
/// system browser through the guard. A `_blank` link on the provider's own origin, and every
/// `window.open`, stay in the flow (a child link window).
pub fn reading_links_script(provider_origin: &str) -> String {
    let origin = serde_json::to_string(provider_origin).unwrap_or_else(|_| "\"\"".into());
    format!(
        "(function(){{var home={origin};document.addEventListener('click',function(e){{\
         var a=e.target&&e.target.closest?e.target.closest('a[target=\"_blank\"]'):null;\
         if(!a||!a.href)return;var u;try{{u=new URL(a.href,location.href)}}catch(x){{return}}\
         if((u.protocol!=='http:'&&u.protocol!=='https:')||u.origin===home)return;\
         e.preventDefault();window.location.href='advisordesk://link/open?url='+encodeURIComponent(u.href);\
         }},true);}})();"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn each_kind_of_new_window_gets_its_answer() {
        for (u, want) in [
            (
                "http://127.0.0.1:4/bank/authorize?state=x",
                NewWindow::Child,
            ),
            ("https://secure.rbc.example/oauth", NewWindow::Child),
            (
                "advisordesk://link/callback?state=a&loginId=b",
                NewWindow::Callback,
            ),
            ("mailto:help@bank.example", NewWindow::System),
            ("javascript:alert(1)", NewWindow::Refused),
            ("file:///etc/passwd", NewWindow::Refused),
            ("data:text/html,hi", NewWindow::Refused),
        ] {
            assert_eq!(classify(&url(u)), want, "{u}");
        }
    }

    #[test]
    fn a_notice_names_the_page_without_its_query_or_fragment() {
        let n = LinkWindowNotice::new(
            4,
            "browser_failed",
            &url("https://help.bank.example/faq?code=one-use-secret#top"),
        );
        assert_eq!(n.page, "https://help.bank.example/faq");
        assert_eq!((n.session_id, n.kind), (4, "browser_failed"));
        let json = serde_json::to_string(&n).unwrap();
        assert!(!json.contains("one-use-secret"), "{json}");
    }

    #[test]
    fn a_child_belongs_to_its_own_flow_only() {
        assert_eq!(child_label(7, 3), "link-7-popup-3");
        assert!(belongs_to_flow("link-7", 7));
        assert!(belongs_to_flow(&child_label(7, 3), 7));
        assert!(!belongs_to_flow("link-70", 7));
        assert!(!belongs_to_flow("link-70-popup-1", 7));
        assert!(!belongs_to_flow("main", 7));
    }

    #[test]
    fn only_http_pages_are_opened_for_reading() {
        let help = "http://127.0.0.1:5/bank/help?bank=RBC%20Royal%20Bank";
        let open = url(&format!("advisordesk://link/open?url={}", urlencode(help)));
        assert_eq!(reading_link(&open).map(String::from).as_deref(), Some(help));
        for bad in [
            "advisordesk://link/open?url=file%3A%2F%2F%2Fetc%2Fpasswd",
            "advisordesk://link/open?url=javascript%3Aalert(1)",
            "advisordesk://link/open",
            "advisordesk://link/callback?url=http%3A%2F%2Fx",
            "https://link/open?url=http%3A%2F%2Fx",
        ] {
            assert_eq!(reading_link(&url(bad)), None, "{bad}");
        }
    }

    #[test]
    fn the_script_knows_the_providers_origin_and_routes_only_blank_links() {
        let s = reading_links_script("http://127.0.0.1:40000");
        assert!(s.contains("var home=\"http://127.0.0.1:40000\""), "{s}");
        assert!(s.contains("a[target=\\\"_blank\\\"]") || s.contains("a[target=\"_blank\"]"));
        assert!(s.contains("advisordesk://link/open?url="));
        // A hostile origin string cannot break out of the literal.
        let s = reading_links_script("\";alert(1);//");
        assert!(s.contains("var home=\"\\\";alert(1);//\""), "{s}");
    }

    fn urlencode(s: &str) -> String {
        tauri::Url::parse_with_params("x:/", [("u", s)])
            .unwrap()
            .query()
            .unwrap()
            .trim_start_matches("u=")
            .to_string()
    }
}
