//! The start-up benchmark's baseline (`bench/startup`): a Tauri window with an empty page,
//! the same Tauri, window size and release profile as the app, and nothing else. The page
//! calls `painted` two animation frames after it loaded (the second runs after the first
//! frame was painted); the command prints the marker line the app's probe prints.

/// Same text as `advisor_desk_app::probe::MARKER`.
const MARKER: &str = "advisor-desk-probe: painted";

#[tauri::command]
fn painted(detail: String) {
    println!("{MARKER} {}", detail.replace(['\r', '\n'], " "));
}

fn main() {
    if let Err(e) = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![painted])
        .run(tauri::generate_context!())
    {
        eprintln!("bare window could not start: {e}");
        std::process::exit(1);
    }
}
