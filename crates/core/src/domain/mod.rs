//! The normalised domain model both providers are turned into, and the vocabulary the sync
//! engine speaks: connection states and classified provider failures.

pub mod asset_class;
pub mod dedupe;
pub mod failure;
pub mod holders;
pub mod model;
pub mod oddities;
pub mod scrub;
pub mod status;

pub use asset_class::AssetClass;
pub use failure::{Actor, FailureKind, ProviderFailure};
pub use model::{
    Account, AccountKind, Card, Holding, Institution, Liability, LiabilityKind, Provider, Snapshot,
    SnapshotParts, Transaction,
};
pub use oddities::{DecodeNotes, Oddity};
pub use status::{ConnectionStatus, RemoteState, RemoteStatus};
