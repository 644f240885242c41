//! Never losing a link result while the firm database is down. The exchange's result goes
//! into the keychain ledger (the core's `firm::PendingLinks`) first, then into the firm
//! database (`mapping`), and leaves the ledger only after that commit. A result the database
//! could not take waits in the ledger; `apply_pending` — at start and after every reconnect —
//! maps what waits. Applying twice is harmless (the mapping is idempotent by session and token
//! hash), so a crash between the commit and the removal costs nothing.

use advisor_desk_core::firm::{FirmId, PendingLink, PendingLinks};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::time::{self, Timestamp};

use super::error::FirmLinkError;
use super::mapping::{map_link_result, Mapped};
use crate::FirmStore;

/// What became of a delivered result.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    /// In the firm database (and out of the ledger).
    Mapped(Mapped),
    /// The firm database could not be reached: the result waits in the keychain ledger.
    Waiting { reason: String },
}

/// The exchange obtained `link`'s token: keep it, map it, forget it — or leave it waiting.
/// A final refusal of the mapping (the session ended, the result does not fit it) leaves the
/// result in the ledger too and is returned: nothing obtained is dropped without a word. If
/// neither the database nor the keychain takes it, [`FirmLinkError::NotKept`] hands the
/// result back to the caller.
pub fn deliver(
    store: &FirmStore,
    keychain: &dyn SecretStore,
    firm: &FirmId,
    link: PendingLink,
    actor: &str,
) -> Result<Delivered, FirmLinkError> {
    let ledger = PendingLinks::new(keychain, firm);
    let kept = ledger.keep(&link);
    match (
        map_link_result(store, keychain, &link, actor, time::now()),
        kept,
    ) {
        (Ok(mapped), kept) => {
            if kept.is_ok() {
                forget(&ledger, link.session_id);
            }
            Ok(Delivered::Mapped(mapped))
        }
        (Err(e), Ok(())) if e.is_unreachable() => Ok(Delivered::Waiting {
            reason: e.to_string(),
        }),
        (Err(e), Ok(())) => Err(e),
        (Err(database), Err(keychain)) => Err(FirmLinkError::NotKept {
            link: Box::new(link),
            database: Box::new(database),
            keychain,
        }),
    }
}

/// What one pass over the ledger did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Mapped (or found mapped already) and taken out of the ledger.
    pub mapped: Vec<(i64, Mapped)>,
    /// Refused for good by the firm database, with the refusal's code; still in the ledger for
    /// the advisor to see.
    pub refused: Vec<(i64, &'static str)>,
    /// Still waiting: the database became unreachable during the pass.
    pub waiting: Vec<i64>,
}

/// Maps every result waiting in the ledger, oldest first; stops trying once the database is
/// unreachable (the rest wait for the next pass). A locked keychain is an error: nothing is
/// taken out.
pub fn apply_pending(
    store: &FirmStore,
    keychain: &dyn SecretStore,
    firm: &FirmId,
    actor: &str,
) -> Result<Applied, FirmLinkError> {
    apply_pending_at(store, keychain, firm, actor, time::now())
}

fn apply_pending_at(
    store: &FirmStore,
    keychain: &dyn SecretStore,
    firm: &FirmId,
    actor: &str,
    now: Timestamp,
) -> Result<Applied, FirmLinkError> {
    let ledger = PendingLinks::new(keychain, firm);
    let mut applied = Applied::default();
    for link in ledger.list()? {
        if !applied.waiting.is_empty() {
            applied.waiting.push(link.session_id);
            continue;
        }
        match map_link_result(store, keychain, &link, actor, now) {
            Ok(mapped) => {
                ledger.remove(link.session_id)?;
                applied.mapped.push((link.session_id, mapped));
            }
            Err(e) if e.is_unreachable() => applied.waiting.push(link.session_id),
            Err(e) => {
                tracing::warn!(
                    session = link.session_id,
                    code = e.code(),
                    "a kept link result was refused: {e}"
                );
                applied.refused.push((link.session_id, e.code()));
            }
        }
    }
    Ok(applied)
}

/// Takes a mapped result out of the ledger. A failure only means it is applied once more
/// later, which is harmless, so it is logged rather than returned.
fn forget(ledger: &PendingLinks<'_>, session_id: i64) {
    if let Err(e) = ledger.remove(session_id) {
        tracing::warn!(
            session = session_id,
            code = e.code(),
            "a mapped link result stays in the keychain until the next pass: {e}"
        );
    }
}
