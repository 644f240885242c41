//! The Advisor Desk desktop shell. Deliberately thin: it opens the core's store, hands it to
//! Tauri as state, and exposes one-line commands over it. Business rules live in
//! `advisor-desk-core` (and the provider side in `advisor-desk-providers`), so everything here
//! is wiring: plugins, windows, events and timers.

pub mod book;
pub mod commands;
pub mod error;
mod firm;
mod firm_links;
#[cfg(test)]
mod ipc_types;
mod link_popups;
pub mod links;
mod notify;
pub mod probe;
pub mod state;
pub mod sync;
mod webview_settings;

use std::path::Path;
use std::time::Duration;

use advisor_desk_core::links::CallbackSource;
use advisor_desk_core::paths;
use tauri::{AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

pub use error::CommandError;
pub use state::AppState;

/// When the whole file's check starts if the window has not asked for it by then (it asks
/// once the book is painted, so the check does not compete with the first screen).
const HEALTH_CHECK_AT_THE_LATEST: Duration = Duration::from_secs(5);

/// How often the app looks for link results that never reached it (sent links, delayed codes).
const LINK_POLL_EVERY: Duration = Duration::from_secs(60);

/// One running instance per data folder: a second start (an OS deep link) hands its
/// arguments to the first. Tests run several apps at once, each on its own folder.
fn instance_id(data_dir: &Path) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    data_dir.hash(&mut h);
    format!("app.advisordesk.desktop.d{:016x}", h.finish())
}

/// Opens the store (running migrations) and runs the window until it is closed.
pub fn run() -> Result<(), tauri::Error> {
    let data_dir = paths::data_dir();
    let single_instance = tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance_id(&data_dir))
        .callback(|app, _argv, _cwd| {
            // The deep-link plugin already received the URL (feature `deep-link`).
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
        })
        .build();
    tauri::Builder::default()
        // First: a second instance must hand over before anything else starts.
        .plugin(single_instance)
        .plugin(tauri_plugin_deep_link::init())
        // Opens the mail client for a message to a client (`open_mail`, from Rust only).
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        // Opt-in: nothing is registered until the advisor turns "Start at login" on.
        .plugin(tauri_plugin_autostart::Builder::new().build())
        // Nothing unless ADVISOR_DESK_STARTUP_PROBE is set (the start-up benchmark).
        .plugin(probe::plugin())
        .manage(AppState::open(&data_dir))
        .setup(|app| {
            if let Some(main) = app.get_webview_window("main") {
                webview_settings::apply(&main);
            }
            notify::open_health_queue_on_click(app.handle());
            start(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_backups,
            commands::take_backup,
            commands::restore_latest_backup,
            commands::restore_backup,
            commands::store_health,
            commands::last_restore,
            commands::reattach_found_connection,
            commands::rebuild_list,
            commands::rebuild_attach,
            commands::rebuild_attach_matched,
            commands::restart_app,
            commands::list_clients,
            commands::add_client,
            commands::set_ui_locale,
            commands::list_connections,
            commands::start_connect,
            commands::start_reauthorize,
            commands::send_link,
            commands::send_reauthorization_links,
            commands::renew_consent,
            commands::open_mail,
            commands::set_client_contact,
            commands::set_consent_period,
            commands::flinks_frozen_after_days,
            commands::set_flinks_frozen_after_days,
            commands::map_existing_credential,
            commands::remove_connection,
            commands::confirm_holder,
            commands::reject_holder,
            commands::delete_client,
            commands::link_inbox_ready,
            commands::poll_links,
            commands::sync_now,
            commands::cancel_sync,
            commands::provider_settings,
            commands::set_provider_environment,
            commands::set_provider_key,
            commands::remove_provider_key,
            commands::set_provider_base_url,
            commands::set_flanks_integration,
            commands::start_at_login,
            commands::set_start_at_login,
            commands::audit_log,
            commands::test_provider_connection,
            commands::load_demo_book,
            commands::pending_links,
            commands::workspace::book_summary,
            commands::workspace::client_overview,
            commands::workspace::client_transactions,
            commands::workspace::health_queue,
            commands::workspace::suggest_export_path,
            commands::workspace::export_csv,
            commands::households::list_households,
            commands::households::create_household,
            commands::households::add_household_member,
            commands::households::remove_household_member,
            commands::households::move_household_member,
            commands::households::delete_household,
            commands::households::household_overview,
            commands::households::household_transactions,
            commands::households::book_by_household,
            commands::households::set_base_currency,
            commands::households::base_total,
            commands::households::save_report,
            commands::households::refresh_rates,
            commands::households::report_profile,
            commands::households::set_report_profile,
            commands::firm::firm_mode,
            commands::firm::join_firm,
            commands::firm::leave_firm,
            commands::firm::firm_try_again,
            probe::startup_probe,
        ])
        .run(tauri::generate_context!())
}

/// Start-up wiring: providers (the embedded sandbox by default), deep links, link recovery and
/// polling, the daily refresh.
fn start(app: &AppHandle) {
    let state = app.state::<AppState>();
    // The sandbox needs a runtime; Tauri's async runtime owns it for the app's lifetime.
    if let Err(e) = tauri::async_runtime::block_on(async { state.configure_providers() }) {
        eprintln!("advisor-desk: providers not configured: {}", e.0.message);
    }

    // Registering the handler (on Linux a .desktop file, `update-desktop-database` and
    // `xdg-mime`, ~100 ms) is not needed for the first screen: off the main thread. An
    // installed package declares the scheme in its own desktop entry: a per-user copy would
    // override it and outlive an uninstall, pointing at a binary that is gone.
    #[cfg(any(target_os = "linux", windows))]
    if !installed_by_package(std::env::current_exe().ok().as_deref()) {
        let handle = app.clone();
        std::thread::spawn(move || {
            if let Err(e) = handle.deep_link().register_all() {
                eprintln!("advisor-desk: the advisordesk:// handler was not registered: {e}");
            }
        });
    }
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            links::deliver(&handle, url.to_string(), None, CallbackSource::DeepLink);
        }
    });
    // The URL this process was started with (cold start).
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            links::deliver(app, url.to_string(), None, CallbackSource::DeepLink);
        }
    }

    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = handle.state::<AppState>();
        // Finish what a crash interrupted, reconcile with the providers, then keep polling.
        if let Ok(service) = state.link_service() {
            match service.resume_and_reconcile().await {
                Ok(report) => {
                    for o in report.resumed {
                        links::publish(
                            &handle,
                            links::LinkEvent::new(CallbackSource::Poller, Ok(o)),
                        );
                    }
                    for e in report.errors {
                        eprintln!("advisor-desk: link recovery: {}", e.message);
                    }
                }
                Err(e) => eprintln!("advisor-desk: link recovery: {e}"),
            }
        }
        loop {
            tokio::time::sleep(LINK_POLL_EVERY).await;
            // Refusals only counted during a flood are written once their window closed.
            if let Ok(store) = state.store() {
                if let Err(e) = store.flush_audit_counts(advisor_desk_core::time::now(), false) {
                    eprintln!("advisor-desk: audit counts: {e}");
                }
            }
            let Ok(service) = state.link_service() else {
                continue;
            };
            if let Ok(outcomes) = service.poll_open_sessions().await {
                for o in outcomes {
                    links::publish(
                        &handle,
                        links::LinkEvent::new(CallbackSource::Poller, Ok(o)),
                    );
                }
            }
        }
    });

    // Firm mode chosen by an earlier run: its session starts on threads of its own.
    if let Err(e) = commands::firm::resume_firm_mode(&state, firm::emitter(app)) {
        eprintln!("advisor-desk: firm mode did not start: {}", e.message);
    }

    let handle = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(HEALTH_CHECK_AT_THE_LATEST);
        commands::start_health_check(&handle);
    });

    sync::spawn_daily_refresh(
        app.clone(),
        sync::first_refresh_check(),
        sync::refresh_check_every(),
    );
}

/// Whether this binary is a system install (a Linux package puts it under `/usr`), whose
/// desktop entry already registers `advisordesk://`.
fn installed_by_package(exe: Option<&Path>) -> bool {
    cfg!(target_os = "linux") && exe.is_some_and(|p| p.starts_with("/usr/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_instance_per_data_folder() {
        let a = instance_id(Path::new("/tmp/a"));
        assert_eq!(a, instance_id(Path::new("/tmp/a")));
        assert_ne!(a, instance_id(Path::new("/tmp/b")));
        // A valid D-Bus name element: letters first, then [A-Za-z0-9_].
        assert!(a
            .split('.')
            .all(|e| e.starts_with(|c: char| c.is_ascii_alphabetic())
                && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')));
    }

    #[test]
    fn a_packaged_binary_leaves_the_scheme_to_its_desktop_entry() {
        let packaged = installed_by_package(Some(Path::new("/usr/bin/advisor-desk")));
        assert_eq!(packaged, cfg!(target_os = "linux"));
        assert!(!installed_by_package(Some(Path::new(
            "/work/main/target/debug/advisor-desk"
        ))));
        assert!(!installed_by_package(None));
    }
}
