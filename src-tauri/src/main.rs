// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = advisor_desk_app::run() {
        eprintln!("Advisor Desk could not start: {e}");
        std::process::exit(1);
    }
}
