//! What the commands share: the core's store. Opening can fail (a database written by a
//! newer version, an unreadable folder); the window still opens and every command answers
//! with that error, so the advisor sees the reason instead of a window that never appears.

use std::path::Path;

use advisor_desk_core::{paths, IpcError, Store};

use crate::error::CommandError;

pub struct AppState {
    store: Result<Store, IpcError>,
}

impl AppState {
    /// Opens (creating and migrating if needed) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> AppState {
        let store = Store::open(&paths::database_path(data_dir)).map_err(IpcError::from);
        if let Err(e) = &store {
            // The message names a path and a reason, never a secret.
            eprintln!("advisor-desk: the database did not open: {}", e.message);
        }
        AppState { store }
    }

    pub fn from_store(store: Store) -> AppState {
        AppState { store: Ok(store) }
    }

    pub fn store(&self) -> Result<&Store, CommandError> {
        self.store.as_ref().map_err(|e| CommandError(e.clone()))
    }
}
