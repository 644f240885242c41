//! The advisor's whole book as one thing: restoring it from a backup (`restore`), and finding
//! again the connections a restore would otherwise forget (`found`).

pub mod found;
pub mod restore;
#[cfg(test)]
mod tests;

pub use found::{reattach_found, FoundConnection};
pub use restore::{latest_backup, restore, Restored};
