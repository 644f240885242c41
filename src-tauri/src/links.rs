//! Wiring of the link flows: the embedded link window, OS deep links, and the inbox that
//! holds results until the UI is ready. Every callback URL — caught in the link window's
//! navigation or delivered by the OS — reaches the same core handler; nothing here decides
//! whether a URL is genuine. In firm mode the same URL goes to the firm's handler
//! (`firm_links`): claimed on the firm database, the result delivered to the firm's book.

use std::collections::HashSet;
use std::sync::Mutex;

use advisor_desk_core::links::{CallbackSource, LinkOutcome, LinkService, CALLBACK_URL};
use advisor_desk_core::IpcError;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::error::CommandError;
use crate::firm_links::{self, FirmLinks};
use crate::link_popups;
use crate::state::AppState;

/// Event the main window receives for each link result.
pub const LINK_EVENT: &str = "link://outcome";
/// Label prefix of link windows: `link-<session id>`.
pub const LINK_WINDOW_PREFIX: &str = "link-";

/// What became of one callback (or poll), for the UI: the core's outcome, or the error that
/// stopped it. Never the URL (it may carry a one-use code).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LinkEvent {
    /// `embedded_window`, `deep_link` or `poller` (`CallbackSource::as_str`).
    #[cfg_attr(test, ts(as = "CallbackSource"))]
    pub source: &'static str,
    pub outcome: Option<LinkOutcome>,
    pub error: Option<IpcError>,
}

impl LinkEvent {
    pub fn new(source: CallbackSource, result: Result<LinkOutcome, CommandError>) -> Self {
        match result {
            Ok(o) => LinkEvent {
                source: source.as_str(),
                outcome: Some(o),
                error: None,
            },
            Err(e) => LinkEvent {
                source: source.as_str(),
                outcome: None,
                error: Some(e.0),
            },
        }
    }
}

/// Results waiting for the UI. Until the main window says it is ready (`link_inbox_ready`),
/// results are kept; afterwards they are sent as events as they come.
#[derive(Default)]
pub struct LinkInbox {
    inner: Mutex<InboxState>,
}

#[derive(Default)]
struct InboxState {
    ready: bool,
    pending: Vec<LinkEvent>,
    /// Link windows the app closes itself (so their close is not "closed by the user").
    closing: HashSet<i64>,
}

impl LinkInbox {
    /// Queues `event`, or returns it for sending when the UI is ready.
    pub fn push(&self, event: LinkEvent) -> Option<LinkEvent> {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if s.ready {
            Some(event)
        } else {
            s.pending.push(event);
            None
        }
    }

    /// Marks the UI ready and hands over what arrived before.
    pub fn ready(&self) -> Vec<LinkEvent> {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.ready = true;
        std::mem::take(&mut s.pending)
    }

    fn mark_closing(&self, session: i64) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closing
            .insert(session);
    }

    fn take_closing(&self, session: i64) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closing
            .remove(&session)
    }
}

pub fn link_error(e: advisor_desk_core::links::LinkError) -> CommandError {
    CommandError(IpcError::from(&e))
}

/// The one handler for a callback URL from anywhere: the core's. Refusals are audited there.
pub async fn handle_callback_in(
    service: &LinkService,
    raw: &[u8],
    window_session: Option<i64>,
    source: CallbackSource,
) -> Result<LinkOutcome, CommandError> {
    service
        .handle_callback(raw, window_session, source)
        .await
        .map_err(link_error)
}

/// Hands `event` to the main window now, or keeps it until the UI is ready.
pub fn publish<R: Runtime>(app: &AppHandle<R>, event: LinkEvent) {
    let state = app.state::<AppState>();
    if let Some(e) = state.links.push(event) {
        let _ = app.emit_to("main", LINK_EVENT, e);
    }
}

/// Runs the handler off the UI thread and publishes the result.
pub fn deliver<R: Runtime>(
    app: &AppHandle<R>,
    raw: String,
    window_session: Option<i64>,
    source: CallbackSource,
) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let result = match FirmLinks::of(&state) {
            // Firm mode: claimed on the firm, the result delivered to the firm's book.
            Ok(Some(firm)) => {
                firm_links::handle_callback(&app, firm, raw, window_session, source).await
            }
            Ok(None) => match state.link_service() {
                Ok(service) => {
                    handle_callback_in(&service, raw.as_bytes(), window_session, source).await
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        publish(&app, LinkEvent::new(source, result));
    });
}

/// Flinks Connect error events that end the flow (the client cannot go on in the widget).
/// Retryable ones (INVALID_LOGIN, INVALID_SECURITY_RESPONSE…) stay in the widget.
pub const TERMINAL_PROVIDER_EVENTS: &[&str] = &[
    "COMPONENT_CLOSE_SESSION",
    "COMPONENT_DENY_CONSENT",
    "DISABLED_LOGIN",
    "DISABLED_INSTITUTION",
    // The bank's OAuth window could not open: the flow cannot go on in this window.
    "POPUP_BLOCKED",
    "RETRY_LATER",
    "SESSION_EXPIRED",
    "SESSION_NONEXISTENT",
];

/// Injected into the link window only: Flinks Connect posts `{step}` events to its parent
/// (itself at top level); a terminal error event becomes a navigation to
/// `advisordesk://link/event?step=CODE`, which the window's navigation handler cancels and
/// reports. The page gains nothing it could not already do (navigate).
///
/// `COMPONENT_CLOSE_SESSION` is also posted on the widget's success screen, right before its
/// `REDIRECT`: it ends the flow only if no `REDIRECT` follows within the grace period, so a
/// successful connection is never reported as closed by the client.
fn event_bridge_script() -> String {
    let codes = TERMINAL_PROVIDER_EVENTS
        .iter()
        .map(|c| format!("\"{c}\":1"))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "(function(){{var end={{{codes}}},wait=null;\
         function report(step){{window.location.href='advisordesk://link/event?step='+step;}}\
         window.addEventListener('message',function(e){{\
         var d=e&&e.data;if(!d||typeof d.step!=='string')return;\
         if(d.step==='REDIRECT'){{if(wait){{clearTimeout(wait);wait=null;}}\
         var q='';['loginId','requestId','institution','url'].forEach(function(k){{\
         if(typeof d[k]==='string')q+='&'+k+'='+encodeURIComponent(d[k]);}});\
         setTimeout(function(){{report('REDIRECT'+q);}},{REDIRECT_GRACE_MS});return;}}\
         if(!end[d.step])return;\
         if(d.step==='COMPONENT_CLOSE_SESSION'){{if(!wait)wait=setTimeout(function(){{wait=null;\
         report(d.step);}},{CLOSE_SESSION_GRACE_MS});return;}}\
         report(d.step);}});}})();"
    )
}

/// How long a `COMPONENT_CLOSE_SESSION` waits for a `REDIRECT` before it ends the flow.
const CLOSE_SESSION_GRACE_MS: u32 = 2000;

/// How long after a `REDIRECT` event the widget has to navigate to the callback itself; if
/// it has not (`jsRedirect`, or a widget that only posts the event), the event's result is
/// delivered instead ([`redirect_event_callback`]).
const REDIRECT_GRACE_MS: u32 = 1500;

/// The callback a Flinks `REDIRECT` event stands for, from `advisordesk://link/event?step=
/// REDIRECT&…`: the older form's `url` when it is the app's callback, or the newer form's
/// `loginId` / `requestId` / `institution` added to `redirect_url` (the `redirectUrl` the
/// widget was given, which carries the state). The core's handler checks it like any other.
pub fn redirect_event_callback(target: &tauri::Url, redirect_url: Option<&str>) -> Option<String> {
    if target.host_str() != Some("link") || target.path() != "/event" {
        return None;
    }
    let param = |key: &str| {
        target
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    if param("step").as_deref() != Some("REDIRECT") {
        return None;
    }
    if let Some(url) = param("url") {
        let parsed: tauri::Url = url.parse().ok()?;
        return (is_callback(&parsed) && parsed.path() == "/callback").then_some(url);
    }
    let login_id = param("loginId")?;
    let mut callback: tauri::Url = redirect_url?.parse().ok()?;
    {
        let mut q = callback.query_pairs_mut();
        q.append_pair("loginId", &login_id);
        for key in ["institution", "requestId"] {
            if let Some(v) = param(key) {
                q.append_pair(key, &v);
            }
        }
    }
    Some(callback.to_string())
}

/// Whether `url` is an `advisordesk://link/event…` report from the injected script.
fn is_event(url: &tauri::Url) -> bool {
    url.host_str() == Some("link") && url.path() == "/event"
}

/// The step code of an `advisordesk://link/event?step=CODE` navigation.
pub fn provider_event(url: &tauri::Url) -> Option<String> {
    if url.host_str() != Some("link") || url.path() != "/event" {
        return None;
    }
    let step = url
        .query_pairs()
        .find(|(k, _)| k == "step")
        .map(|(_, v)| v.into_owned())?;
    TERMINAL_PROVIDER_EVENTS
        .contains(&step.as_str())
        .then_some(step)
}

/// Reports a terminal provider event for `session_id`; the session ends with the provider's
/// wording and the window closes.
fn report_event<R: Runtime>(app: &AppHandle<R>, session_id: i64, code: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let result = match FirmLinks::of(&state) {
            Ok(Some(firm)) => {
                firm.run(&app, move |flow| {
                    flow.report_provider_event(session_id, &code)
                })
                .await
            }
            Ok(None) => match state.link_service() {
                Ok(service) => service
                    .report_provider_event(session_id, &code)
                    .await
                    .map_err(link_error),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match result {
            Ok(None) => {}
            Ok(Some(outcome)) => {
                state.links.mark_closing(session_id);
                close_flow_windows(&app, session_id);
                publish(
                    &app,
                    LinkEvent::new(CallbackSource::EmbeddedWindow, Ok(outcome)),
                );
            }
            Err(e) => publish(&app, LinkEvent::new(CallbackSource::EmbeddedWindow, Err(e))),
        }
    });
}

/// Whether a navigation target is the app's callback (`advisordesk://link/callback…`).
pub fn is_callback(url: &tauri::Url) -> bool {
    let scheme = CALLBACK_URL.split("://").next().unwrap_or_default();
    url.scheme().eq_ignore_ascii_case(scheme)
}

/// What every window of one link flow shares: its session, the provider page's origin (a
/// `target="_blank"` link elsewhere is a page for reading) and the `redirectUrl` the page was
/// given (for a Flinks `REDIRECT` event that arrives without a navigation).
#[derive(Debug, Clone)]
pub struct LinkFlowWindow {
    pub session_id: i64,
    pub provider_origin: String,
    pub redirect_url: Option<String>,
}

impl LinkFlowWindow {
    pub fn new(session_id: i64, page: &tauri::Url) -> Self {
        let redirect_url = page
            .query_pairs()
            .find(|(k, _)| k == "redirectUrl")
            .map(|(_, v)| v.into_owned())
            .filter(|r| r.parse::<tauri::Url>().is_ok_and(|u| is_callback(&u)));
        LinkFlowWindow {
            session_id,
            provider_origin: page.origin().ascii_serialization(),
            redirect_url,
        }
    }
}

/// A window of a link flow (the link window or a child): in no capability (its label is in
/// no capability's `windows`), with the injected scripts, the navigation guard and the
/// new-window handler. Callers add size and title.
pub fn link_window_builder<'a, R: Runtime>(
    app: &'a AppHandle<R>,
    label: &str,
    url: WebviewUrl,
    flow: LinkFlowWindow,
) -> WebviewWindowBuilder<'a, R, AppHandle<R>> {
    let script = event_bridge_script() + &link_popups::reading_links_script(&flow.provider_origin);
    WebviewWindowBuilder::new(app, label, url)
        .initialization_script(script)
        .on_navigation(navigation_guard(app.clone(), flow.clone()))
        .on_new_window(link_popups::new_window_handler(app.clone(), flow))
}

/// Lets every page load through, except the app's own scheme: the callback ends the flow,
/// the injected script's reports are acted on, a page for reading goes to the system browser.
fn navigation_guard<R: Runtime>(
    app: AppHandle<R>,
    flow: LinkFlowWindow,
) -> impl Fn(&tauri::Url) -> bool + Send + 'static {
    move |target| {
        if !is_callback(target) {
            return true;
        }
        if let Some(page) = link_popups::reading_link(target) {
            link_popups::open_in_system_browser(&app, flow.session_id, &page);
        } else if let Some(code) = provider_event(target) {
            report_event(&app, flow.session_id, code);
        } else if let Some(callback) = redirect_event_callback(target, flow.redirect_url.as_deref())
        {
            finish_with_callback(&app, flow.session_id, &callback);
        } else if !is_event(target) {
            finish_with_callback(&app, flow.session_id, target.as_str());
        }
        false
    }
}

/// The flow's result arrived: hand it to the handler and close the flow's windows.
pub fn finish_with_callback<R: Runtime>(app: &AppHandle<R>, session_id: i64, url: &str) {
    app.state::<AppState>().links.mark_closing(session_id);
    deliver(
        app,
        url.to_string(),
        Some(session_id),
        CallbackSource::EmbeddedWindow,
    );
    close_flow_windows(app, session_id);
}

/// Closes the link window of `session_id` and every child window it opened.
fn close_flow_windows<R: Runtime>(app: &AppHandle<R>, session_id: i64) {
    for (label, window) in app.webview_windows() {
        if link_popups::belongs_to_flow(&label, session_id) {
            let _ = window.close();
        }
    }
}

/// Opens the provider's page for link session `session_id` in a window of its own
/// ([`link_window_builder`]): the provider's page cannot call a single command. When it
/// navigates to the callback, the navigation is cancelled, the flow's windows close and the
/// URL goes to the handler with the session it belongs to. Closed by the user: the session
/// ends as `closed_by_user`.
pub fn open_link_window(
    app: &AppHandle,
    session_id: i64,
    url: &str,
    title: &str,
) -> Result<String, CommandError> {
    let parsed: tauri::Url = url
        .parse()
        .map_err(|_| CommandError::from(advisor_desk_core::CoreError::invalid("bad link URL")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(advisor_desk_core::CoreError::invalid("a link opens an http(s) page").into());
    }
    let label = format!("{LINK_WINDOW_PREFIX}{session_id}");
    if let Some(existing) = app.get_webview_window(&label) {
        let _ = existing.set_focus();
        return Ok(label);
    }
    let flow = LinkFlowWindow::new(session_id, &parsed);
    let window = link_window_builder(app, &label, WebviewUrl::External(parsed), flow)
        .title(title)
        .inner_size(520.0, 720.0)
        .center()
        .build()
        .map_err(|e| {
            CommandError::from(advisor_desk_core::CoreError::invalid(format!(
                "the link window did not open: {e}"
            )))
        })?;
    crate::webview_settings::apply(&window);
    let close_app = app.clone();
    window.on_window_event(move |event| {
        if let tauri::WindowEvent::Destroyed = event {
            // Pop-ups do not outlive the flow that opened them.
            close_flow_windows(&close_app, session_id);
            let state = close_app.state::<AppState>();
            if !state.links.take_closing(session_id) {
                window_closed_by_user(&close_app, session_id);
            }
        }
    });
    Ok(label)
}

/// The advisor (or the client) closed the link window before the provider answered.
fn window_closed_by_user(app: &AppHandle, session_id: i64) {
    let state = app.state::<AppState>();
    let result = match FirmLinks::of(&state) {
        Ok(Some(firm)) => return firm_window_closed(app, firm, session_id),
        Ok(None) => state
            .link_service()
            .and_then(|s| s.window_closed(session_id).map_err(link_error)),
        Err(e) => Err(e),
    };
    publish_closed(app, result);
}

/// The same in firm mode, off the UI thread (the firm store is blocking).
fn firm_window_closed(app: &AppHandle, firm: FirmLinks, session_id: i64) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let result = firm
            .run(&app, move |flow| flow.window_closed(session_id))
            .await;
        publish_closed(&app, result);
    });
}

fn publish_closed(app: &AppHandle, result: Result<Option<LinkOutcome>, CommandError>) {
    match result {
        Ok(Some(outcome)) => publish(
            app,
            LinkEvent::new(CallbackSource::EmbeddedWindow, Ok(outcome)),
        ),
        Ok(None) => {}
        Err(e) => publish(app, LinkEvent::new(CallbackSource::EmbeddedWindow, Err(e))),
    }
}

#[cfg(test)]
mod tests {
    use advisor_desk_core::clients;
    use advisor_desk_core::links::sessions;
    use std::sync::Arc;

    use super::*;
    use advisor_desk_core::clients::NewClient;
    use advisor_desk_core::links::{Delivery, LinkFlow, LinkPurpose, NewLinkSession};
    use advisor_desk_core::secrets::MemorySecretStore;
    use advisor_desk_core::Store;

    fn event(code: &str) -> LinkEvent {
        LinkEvent {
            source: "deep_link",
            outcome: Some(LinkOutcome::Refused {
                reason: code.into(),
                message: String::new(),
            }),
            error: None,
        }
    }

    fn reason(e: &LinkEvent) -> String {
        match &e.outcome {
            Some(LinkOutcome::Refused { reason, .. }) => reason.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn the_inbox_keeps_results_until_the_ui_is_ready() {
        let inbox = LinkInbox::default();
        assert!(inbox.push(event("a")).is_none());
        assert!(inbox.push(event("b")).is_none());
        let held: Vec<_> = inbox.ready().iter().map(reason).collect();
        assert_eq!(held, ["a", "b"]);
        assert_eq!(
            inbox.push(event("c")).map(|e| reason(&e)).as_deref(),
            Some("c")
        );
        assert!(inbox.ready().is_empty());
    }

    #[tokio::test]
    async fn forged_callbacks_are_refused_audited_and_never_echoed() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let client = clients::add(
            &store,
            &NewClient {
                name: "Ana".into(),
                ..Default::default()
            },
            "t",
        )
        .unwrap();
        let started = sessions::start(
            &store,
            &NewLinkSession {
                client_id: client.id,
                connection_id: None,
                flow: LinkFlow::FlinksConnect,
                purpose: LinkPurpose::New,
                ttl: chrono::Duration::minutes(30),
                delivery: Delivery::Window,
            },
            "advisor",
            advisor_desk_core::time::now(),
        )
        .unwrap();
        let service = LinkService::new(
            store.clone(),
            Arc::new(MemorySecretStore::new()),
            Vec::new(),
            None,
        );
        let forged = format!(
            "advisordesk://link/callback?state={}&loginId=secret-login",
            "0".repeat(64)
        );
        let o = handle_callback_in(&service, forged.as_bytes(), None, CallbackSource::DeepLink)
            .await
            .unwrap();
        let json = serde_json::to_string(&LinkEvent::new(CallbackSource::DeepLink, Ok(o))).unwrap();
        assert!(json.contains("\"reason\":\"unknown_state\""), "{json}");
        assert!(!json.contains("secret-login"));
        // A window cannot claim another session's result.
        let other = format!(
            "advisordesk://link/callback?state={}&loginId=x",
            started.state
        );
        let o = handle_callback_in(
            &service,
            other.as_bytes(),
            Some(started.session.id + 1),
            CallbackSource::EmbeddedWindow,
        )
        .await
        .unwrap();
        assert!(matches!(o, LinkOutcome::Refused { .. }), "{o:?}");
        let audit = store.audit_log(10).unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.action == "link.callback.refused")
                .count(),
            2
        );
    }

    #[test]
    fn only_terminal_provider_events_are_reported() {
        let url = |u: &str| u.parse::<tauri::Url>().unwrap();
        assert_eq!(
            provider_event(&url("advisordesk://link/event?step=DISABLED_LOGIN")).as_deref(),
            Some("DISABLED_LOGIN")
        );
        for u in [
            "advisordesk://link/event?step=INVALID_LOGIN",
            "advisordesk://link/event?step=APP_MOUNTED",
            "advisordesk://link/event",
            "advisordesk://link/callback?step=DISABLED_LOGIN",
            "advisordesk://other/event?step=DISABLED_LOGIN",
        ] {
            assert_eq!(provider_event(&url(u)), None, "{u}");
        }
        let script = event_bridge_script();
        assert!(script.contains("\"COMPONENT_DENY_CONSENT\":1"), "{script}");
        assert!(!script.contains("INVALID_LOGIN"));
    }

    #[test]
    fn a_redirect_event_in_either_form_becomes_the_callback() {
        let url = |u: &str| u.parse::<tauri::Url>().unwrap();
        let page = url(
            "http://127.0.0.1:9/flinks-connect/v2/?demo=true&redirectUrl=advisordesk%3A%2F%2Flink%2Fcallback%3Fstate%3Dabc&tag=t",
        );
        let flow = LinkFlowWindow::new(4, &page);
        assert_eq!(flow.provider_origin, "http://127.0.0.1:9");
        let base = flow.redirect_url.as_deref();
        assert_eq!(base, Some("advisordesk://link/callback?state=abc"));
        // Newer docs: loginId, requestId and institution on the event.
        let cb = redirect_event_callback(
            &url(
                "advisordesk://link/event?step=REDIRECT&loginId=L-1&requestId=R-2&institution=RBC",
            ),
            base,
        )
        .unwrap();
        assert_eq!(
            cb,
            "advisordesk://link/callback?state=abc&loginId=L-1&institution=RBC&requestId=R-2"
        );
        // Older docs: a url holding them.
        let older = "advisordesk://link/callback?state=abc&loginId=L-1&institution=FlinksCapital";
        let event = url(&format!(
            "advisordesk://link/event?step=REDIRECT&institution=FlinksCapital&url={}",
            older
                .replace(':', "%3A")
                .replace('/', "%2F")
                .replace('?', "%3F")
                .replace('&', "%26")
                .replace('=', "%3D")
        ));
        assert_eq!(
            redirect_event_callback(&event, base).as_deref(),
            Some(older)
        );
        // Nothing to build from, or a url that is not the app's callback: no result.
        for u in [
            "advisordesk://link/event?step=REDIRECT&institution=RBC",
            "advisordesk://link/event?step=REDIRECT&url=https%3A%2F%2Fevil.example%2Fcb",
            "advisordesk://link/event?step=APP_MOUNTED&loginId=L",
            "advisordesk://link/callback?step=REDIRECT&loginId=L",
        ] {
            assert_eq!(redirect_event_callback(&url(u), base), None, "{u}");
        }
        // A page opened without a callback redirectUrl cannot make one up.
        let bare = LinkFlowWindow::new(
            4,
            &url("http://127.0.0.1:9/link?token=x&redirectUrl=https%3A%2F%2Fevil.example"),
        );
        assert_eq!(bare.redirect_url, None);
        assert_eq!(
            redirect_event_callback(
                &url("advisordesk://link/event?step=REDIRECT&loginId=L"),
                bare.redirect_url.as_deref()
            ),
            None
        );
        assert!(provider_event(&url("advisordesk://link/event?step=POPUP_BLOCKED")).is_some());
        assert!(event_bridge_script().contains("report('REDIRECT'+q)"));
    }

    #[test]
    fn only_the_app_scheme_is_a_callback() {
        for (u, yes) in [
            ("advisordesk://link/callback?code=1", true),
            ("ADVISORDESK://link/callback", true),
            ("https://platform.flanks.io/link", false),
            ("http://127.0.0.1:1/_sandbox/landing", false),
        ] {
            assert_eq!(is_callback(&u.parse().unwrap()), yes, "{u}");
        }
    }
}
