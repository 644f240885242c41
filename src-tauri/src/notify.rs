//! Desktop notifications through tauri-plugin-notification: what to say is decided by the
//! core (`sync::alert`: only connections that newly need someone, client names, never a
//! secret); this only sends it, in the advisor's language, and opens the health queue when
//! the notification is clicked.

use advisor_desk_core::settings::{self, UiLocale};
use advisor_desk_core::sync::{alert_for, RunReport};
use advisor_desk_core::Store;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

/// Sent to the main window when the advisor clicked a notification: the route to show.
pub const OPEN_ROUTE_EVENT: &str = "app://open-route";
/// The health queue's route (`ui/src/routes.ts`).
const HEALTH_ROUTE: &str = "health";

/// Sends the notification for `report` if it holds news.
pub fn alert_if_news(app: &AppHandle, store: &Store, report: &RunReport) {
    let locale = settings::ui_locale(store)
        .ok()
        .flatten()
        .unwrap_or(UiLocale::En);
    let Some(alert) = alert_for(report, locale) else {
        return;
    };
    if let Err(e) = app
        .notification()
        .builder()
        .title(alert.title)
        .body(alert.body)
        .show()
    {
        eprintln!("advisor-desk: the notification was not shown: {e}");
    }
}

/// A click on a notification (`tap`) brings the main window forward on the health queue.
pub fn open_health_queue_on_click(app: &AppHandle) {
    let handle = app.clone();
    let _ = app.notification().on_action(move |action| {
        if action.action_id() != "tap" {
            return;
        }
        if let Some(main) = handle.get_webview_window("main") {
            let _ = main.unminimize();
            let _ = main.show();
            let _ = main.set_focus();
        }
        let _ = handle.emit_to("main", OPEN_ROUTE_EVENT, HEALTH_ROUTE);
    });
}
