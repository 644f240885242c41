//! The advisor's whole book as one thing: restoring it from a backup (`restore`), finding
//! again the connections a restore would otherwise forget (`found`), a restore staged while the
//! book is open and applied at the next start (`pending`), the database's health for the
//! recovery screen (`health`), moving it to a new computer as one encrypted file
//! (`transfer`), and rebuilding it from the provider when everything else is gone (`rebuild`).

pub mod found;
pub mod health;
pub mod pending;
pub mod rebuild;
pub mod restore;
#[cfg(test)]
mod tests;
pub mod transfer;
#[cfg(test)]
mod transfer_tests;

pub use found::{found_in_kept_files, reattach_found, FoundConnection};
pub use health::{HealthState, StoreHealth};
pub use pending::{
    apply_pending_restore, cancel_pending_restore, restore_pending, stage_latest_restore,
    stage_restore, RestoreOutcome,
};
pub use restore::{latest_backup, restore, Restored};
pub use transfer::{export_book, import_book, Exported, Imported};
