// Generates the Tauri context and, through the app manifest, one `allow-<command>` permission
// per app command: a command not granted in `capabilities/` cannot be invoked.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "list_backups",
        "take_backup",
        "restore_latest_backup",
        "restart_app",
        "list_clients",
        "add_client",
        "set_ui_locale",
        "list_connections",
        "start_connect",
        "start_reauthorize",
        "send_link",
        "map_existing_credential",
        "remove_connection",
        "delete_client",
        "link_inbox_ready",
        "poll_links",
        "sync_now",
        "cancel_sync",
        "provider_settings",
        "set_provider_environment",
        "set_provider_key",
        "remove_provider_key",
        "set_provider_base_url",
        "test_provider_connection",
        "load_demo_book",
        "pending_links",
        "book_summary",
        "client_overview",
        "client_transactions",
        "health_queue",
        "suggest_export_path",
        "export_csv",
        "startup_probe",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed (see the message above)");
}
