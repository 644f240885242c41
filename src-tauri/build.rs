// Generates the Tauri context and, through the app manifest, one `allow-<command>` permission
// per app command: a command not granted in `capabilities/` cannot be invoked.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "list_clients",
        "add_client",
        "set_ui_locale",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed (see the message above)");
}
