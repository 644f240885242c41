//! The advisor's whole book as one thing: restoring it from a backup (`restore`), finding
//! again the connections a restore would otherwise forget (`found`), and moving it to a new
//! computer as one encrypted file (`transfer`).

pub mod found;
pub mod restore;
#[cfg(test)]
mod tests;
pub mod transfer;
#[cfg(test)]
mod transfer_tests;

pub use found::{found_in_kept_files, reattach_found, FoundConnection};
pub use restore::{latest_backup, restore, Restored};
pub use transfer::{export_book, import_book, Exported, Imported};
