//! The firm's offline write-ahead ledger of link results, kept in the OS keychain only.
//!
//! A provider's one-use code, once exchanged, is gone: the credentials token (or loginId) it
//! gave is the only proof the client connected. In firm mode that token belongs in the firm
//! database, which may be unreachable at that moment. So the result — session, client,
//! provider, token, institution, when — is written here first, one keychain entry per result
//! (`firm/<firm id>/pending-link/<session id>`), and taken out only after the firm database
//! committed it (crates/firm's `links`). Nothing here knows the database engine.
//!
//! The keychain cannot list its entries portably, so an index entry
//! (`firm/<firm id>/pending-link/index`, the session ids, nothing secret) names them. It is
//! written before a result's entry and after its removal, so it always names at least every
//! entry there is: a crash between the two leaves an id without an entry, which `list` skips
//! and prunes, never an entry nobody can find.

use std::sync::Mutex;

use super::ledger_entry::{self, token_problem};
use super::FirmId;
use crate::domain::Provider;
use crate::error::{ErrorCode, IpcError};
use crate::secrets::{Secret, SecretError, SecretKey, SecretStore};
use crate::time::Timestamp;

/// One link result waiting for the firm database.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingLink {
    /// The firm database's `link_sessions.id`.
    pub session_id: i64,
    pub client_id: i64,
    pub provider: Provider,
    /// The credentials token (Flanks) or loginId (Flinks).
    pub token: Secret,
    pub institution: Option<String>,
    /// When the exchange obtained the token.
    pub obtained_at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The keychain is locked or unavailable: the result could not be kept, read or removed.
    #[error("the link result could not be kept in the keychain: {0}")]
    Keychain(#[from] SecretError),
    #[error("the keychain entry {entry} is not a pending link result ({problem})")]
    Damaged {
        entry: String,
        problem: &'static str,
    },
    #[error("a link result cannot be kept: {0}")]
    Invalid(&'static str),
}

impl LedgerError {
    /// The stable machine code the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Keychain(e) => e.code().as_str(),
            LedgerError::Damaged { .. } => "pending_link_damaged",
            LedgerError::Invalid(_) => ErrorCode::InvalidInput.as_str(),
        }
    }
}

impl From<&LedgerError> for IpcError {
    fn from(e: &LedgerError) -> Self {
        IpcError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// The index is read, changed and written back: one change at a time in this process (the app
/// runs once per user — its single-instance plugin — so no other process shares the index).
static INDEX_TURN: Mutex<()> = Mutex::new(());

/// The pending link results of one firm in one keychain.
pub struct PendingLinks<'a> {
    keychain: &'a dyn SecretStore,
    firm: FirmId,
}

impl<'a> PendingLinks<'a> {
    pub fn new(keychain: &'a dyn SecretStore, firm: &FirmId) -> PendingLinks<'a> {
        PendingLinks {
            keychain,
            firm: firm.clone(),
        }
    }

    /// The keychain name of a session's pending result.
    pub fn entry_name(&self, session_id: i64) -> Result<SecretKey, LedgerError> {
        Ok(SecretKey::new(format!(
            "firm/{}/pending-link/{session_id}",
            self.firm
        ))?)
    }

    fn index_name(&self) -> Result<SecretKey, LedgerError> {
        Ok(SecretKey::new(format!(
            "firm/{}/pending-link/index",
            self.firm
        ))?)
    }

    /// Keeps `link` until [`PendingLinks::remove`]. Keeping the same session's result again
    /// replaces it (a retried exchange obtains the same token).
    pub fn keep(&self, link: &PendingLink) -> Result<(), LedgerError> {
        if link.session_id <= 0 {
            return Err(LedgerError::Invalid("a link session id is positive"));
        }
        if let Some(problem) = token_problem(&link.token) {
            return Err(LedgerError::Invalid(problem));
        }
        let entry = self.entry_name(link.session_id)?;
        let _turn = INDEX_TURN.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids = self.index()?;
        if !ids.contains(&link.session_id) {
            ids.push(link.session_id);
            self.write_index(&ids)?;
        }
        self.keychain.put(&entry, &ledger_entry::encode(link))?;
        Ok(())
    }

    /// The result kept for `session_id`, if any.
    pub fn get(&self, session_id: i64) -> Result<Option<PendingLink>, LedgerError> {
        let entry = self.entry_name(session_id)?;
        let Some(stored) = self.keychain.get(&entry)? else {
            return Ok(None);
        };
        let link = ledger_entry::decode(&stored).map_err(|problem| LedgerError::Damaged {
            entry: entry.as_str().to_string(),
            problem,
        })?;
        if link.session_id != session_id {
            return Err(LedgerError::Damaged {
                entry: entry.as_str().to_string(),
                problem: "it names another link session",
            });
        }
        Ok(Some(link))
    }

    /// Every pending result, oldest first. Index ids whose entry is gone (a crash between
    /// removing the entry and the index) are pruned.
    pub fn list(&self) -> Result<Vec<PendingLink>, LedgerError> {
        let _turn = INDEX_TURN.lock().unwrap_or_else(|p| p.into_inner());
        let ids = self.index()?;
        let mut links = Vec::with_capacity(ids.len());
        for &id in &ids {
            if let Some(link) = self.get(id)? {
                links.push(link);
            }
        }
        if links.len() != ids.len() {
            let kept: Vec<i64> = links.iter().map(|l| l.session_id).collect();
            self.write_index(&kept)?;
        }
        Ok(links)
    }

    /// Takes a session's result out, once the firm database holds it. Returns whether there
    /// was one; removing twice is harmless.
    pub fn remove(&self, session_id: i64) -> Result<bool, LedgerError> {
        let entry = self.entry_name(session_id)?;
        let _turn = INDEX_TURN.lock().unwrap_or_else(|p| p.into_inner());
        let existed = self.keychain.delete(&entry)?;
        let mut ids = self.index()?;
        if ids.contains(&session_id) {
            ids.retain(|&id| id != session_id);
            self.write_index(&ids)?;
        }
        Ok(existed)
    }

    fn index(&self) -> Result<Vec<i64>, LedgerError> {
        let name = self.index_name()?;
        let Some(stored) = self.keychain.get(&name)? else {
            return Ok(Vec::new());
        };
        let damaged = |problem| LedgerError::Damaged {
            entry: name.as_str().to_string(),
            problem,
        };
        stored
            .expose()
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| match id.parse::<i64>() {
                Ok(id) if id > 0 => Ok(id),
                _ => Err(damaged("it holds something other than session ids")),
            })
            .collect()
    }

    fn write_index(&self, ids: &[i64]) -> Result<(), LedgerError> {
        let name = self.index_name()?;
        if ids.is_empty() {
            self.keychain.delete(&name)?;
            return Ok(());
        }
        let text: Vec<String> = ids.iter().map(i64::to_string).collect();
        self.keychain.put(&name, &Secret::new(text.join(",")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecretStore;
    use crate::time;

    fn firm() -> FirmId {
        FirmId::new("ruiz_partners").unwrap()
    }

    fn link(session_id: i64, token: &str) -> PendingLink {
        PendingLink {
            session_id,
            client_id: 4,
            provider: Provider::Flinks,
            token: Secret::new(token),
            institution: None,
            obtained_at: time::from_db("2026-12-05T03:10:00.000Z").unwrap(),
        }
    }

    #[test]
    fn results_are_kept_listed_in_order_and_removed_once() {
        let keychain = MemorySecretStore::new();
        let ledger = PendingLinks::new(&keychain, &firm());
        assert!(ledger.list().unwrap().is_empty());
        ledger.keep(&link(9, "login-9")).unwrap();
        ledger.keep(&link(3, "login-3")).unwrap();
        ledger.keep(&link(9, "login-9")).unwrap();
        let listed = ledger.list().unwrap();
        assert_eq!(listed, vec![link(9, "login-9"), link(3, "login-3")]);
        assert_eq!(ledger.get(3).unwrap(), Some(link(3, "login-3")));
        let name = ledger.entry_name(9).unwrap();
        assert_eq!(name.as_str(), "firm/ruiz_partners/pending-link/9");

        assert!(ledger.remove(9).unwrap());
        assert!(!ledger.remove(9).unwrap(), "a second removal finds nothing");
        assert_eq!(ledger.list().unwrap(), vec![link(3, "login-3")]);
        assert!(ledger.remove(3).unwrap());
        assert!(keychain.is_empty(), "the index goes with the last entry");
    }

    #[test]
    fn an_index_id_without_its_entry_is_pruned_and_an_entry_is_never_orphaned() {
        let keychain = MemorySecretStore::new();
        let ledger = PendingLinks::new(&keychain, &firm());
        ledger.keep(&link(1, "login-1")).unwrap();
        ledger.keep(&link(2, "login-2")).unwrap();
        // A crash after the entry was removed, before the index was written.
        keychain.delete(&ledger.entry_name(1).unwrap()).unwrap();
        assert_eq!(ledger.list().unwrap(), vec![link(2, "login-2")]);
        let index = SecretKey::new("firm/ruiz_partners/pending-link/index").unwrap();
        assert_eq!(keychain.get(&index).unwrap().unwrap().expose(), "2");
    }

    #[test]
    fn a_locked_keychain_is_a_typed_refusal_and_loses_nothing() {
        let keychain = MemorySecretStore::new();
        let ledger = PendingLinks::new(&keychain, &firm());
        ledger.keep(&link(5, "login-5")).unwrap();
        keychain.set_locked(true);
        for refused in [
            ledger.keep(&link(6, "login-6")).unwrap_err(),
            ledger.list().unwrap_err(),
            ledger.remove(5).unwrap_err(),
        ] {
            assert_eq!(refused.code(), "keychain_locked");
            assert!(!refused.to_string().contains("login-"), "{refused}");
        }
        keychain.set_locked(false);
        assert_eq!(ledger.list().unwrap(), vec![link(5, "login-5")]);
    }

    #[test]
    fn bad_results_and_damaged_entries_are_refused_by_name() {
        let keychain = MemorySecretStore::new();
        let ledger = PendingLinks::new(&keychain, &firm());
        assert_eq!(
            ledger.keep(&link(0, "x")).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            ledger.keep(&link(1, "")).unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            ledger.keep(&link(1, "a\nb")).unwrap_err().code(),
            "invalid_input"
        );
        ledger.keep(&link(8, "login-8")).unwrap();
        // Another session's result under this session's name.
        let moved = ledger_entry::encode(&link(12, "login-12"));
        keychain
            .put(&ledger.entry_name(8).unwrap(), &moved)
            .unwrap();
        let damaged = ledger.list().unwrap_err();
        assert_eq!(damaged.code(), "pending_link_damaged");
        assert!(damaged.to_string().contains("pending-link/8"), "{damaged}");
        assert!(!damaged.to_string().contains("login-"), "{damaged}");
    }
}
