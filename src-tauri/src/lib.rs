//! The Advisor Desk desktop shell. Deliberately thin: it opens the core's store, hands it to
//! Tauri as state, and exposes one-line commands over it. Business rules live in
//! `advisor-desk-core`, so everything here can stay free of logic worth testing twice.

pub mod commands;
pub mod error;
pub mod state;

use advisor_desk_core::paths;

pub use error::CommandError;
pub use state::AppState;

/// Opens the store (running migrations) and runs the window until it is closed.
pub fn run() -> Result<(), tauri::Error> {
    let state = AppState::open(&paths::data_dir());
    tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_clients,
            commands::add_client,
            commands::set_ui_locale,
        ])
        .run(tauri::generate_context!())
}
