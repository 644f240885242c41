// One app command, `painted`, granted to the main window in capabilities/main.json.
fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["painted"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed (see the message above)");
}
