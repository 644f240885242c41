//! The book rebuilt from the provider when everything else is gone (no database, no backup,
//! no export): with only the API keys, the Flanks credentials list says which credentials the
//! company holds, and each credential's `external_id` — the reference this desk put in the
//! link, `links::reference` — names the client it was made for. Each credential the book lacks
//! is listed with the client it names, matched to a client of this book:
//!
//! 1. **by id**: the reference was made by this installation and the book's client with that
//!    id still carries a name [`same_person`] finds equal (ids of another installation's book
//!    mean nothing here);
//! 2. **by name**: exactly one client of the book (not archived) is the same person as the
//!    reference's name by the holder rules of `domain/holders.rs` (case, accents, order and
//!    particles do not count; one shared surname is not enough);
//! 3. **new client**: the reference names a client no one in the book matches — the advisor
//!    confirms creating it (the usual case in an empty book);
//! 4. **unmatched**: no reference (a credential made elsewhere, or before links named their
//!    client; Connect v2 sessions carry none), or several clients share the name — the advisor
//!    assigns it.
//!
//! Re-attaching goes through the one insert of `credentials` (token into the keychain first,
//! only `secret_ref` + `token_hash` in SQLite, audited), the new client, when there is one, in
//! the same transaction: nothing is half-done. The caller syncs the new connection. Flinks
//! loginIds cannot be listed by the provider at all: only the book export keeps them.

use serde::{Deserialize, Serialize};

use crate::clients::{self, Client, NewClient};
use crate::credentials::{self, token_hash, NewConnectionRow, RowAudit};
use crate::domain::holders::same_person;
use crate::domain::{Provider, ProviderFailure};
use crate::error::{CoreError, IpcError};
use crate::links::{parse_link_ref, LinkFlow, LinkProviderApi, RemoteCredential};
use crate::secrets::{SecretError, SecretStore};
use crate::store::Store;
use crate::sync::connections;
use crate::time;

/// A credential the provider holds and the book lacks, with the client its link named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ProviderCredential {
    pub provider: Provider,
    /// How it is named everywhere (never the token itself).
    pub token_hash: String,
    /// The bank, as the provider names it.
    pub bank: Option<String>,
    /// The client the link named: its id in the book that made it, and its name.
    pub named_client_id: Option<i64>,
    pub named_client_name: Option<String>,
    pub proposal: Proposal,
}

/// Who the credential goes to unless the advisor says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Proposal {
    ById {
        client_id: i64,
        client_name: String,
    },
    ByName {
        client_id: i64,
        client_name: String,
    },
    /// No client of the book is this person: create one with this name (the advisor confirms).
    NewClient {
        name: String,
    },
    Unmatched {
        reason: Unmatched,
    },
}

impl Proposal {
    /// Whether "Re-attach all matched" takes it (a new client only with `create_clients`).
    pub fn is_matched(&self, create_clients: bool) -> bool {
        match self {
            Proposal::ById { .. } | Proposal::ByName { .. } => true,
            Proposal::NewClient { .. } => create_clients,
            Proposal::Unmatched { .. } => false,
        }
    }

    fn target(&self) -> Option<AttachTo> {
        match self {
            Proposal::ById { client_id, .. } | Proposal::ByName { client_id, .. } => {
                Some(AttachTo::Client {
                    client_id: *client_id,
                })
            }
            Proposal::NewClient { name } => Some(AttachTo::NewClient { name: name.clone() }),
            Proposal::Unmatched { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// The credential carries no reference of this app (or one naming no client).
    NoReference,
    /// Several clients of the book have the name the reference gives.
    SeveralClients,
}

/// Where the advisor attaches a credential.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttachTo {
    Client {
        client_id: i64,
    },
    /// A new client with this name, created with the connection.
    NewClient {
        name: String,
    },
}

/// A credential attached again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Reattached {
    pub token_hash: String,
    pub connection_id: i64,
    pub client_id: i64,
    pub created_client: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Keychain(#[from] SecretError),
    #[error("Flanks could not list its credentials: {0}")]
    Provider(ProviderFailure),
    #[error("Flanks is not configured: add its API keys in Settings → Connections first")]
    NotConfigured,
    #[error("Flanks does not list credential {0} (any more)")]
    NotListed(String),
    #[error("credential {0} is already a connection of this book")]
    AlreadyInBook(String),
}

impl RebuildError {
    pub fn code(&self) -> String {
        match self {
            RebuildError::Core(e) => e.code().as_str().to_string(),
            RebuildError::Keychain(e) => e.code().as_str().to_string(),
            RebuildError::Provider(f) => format!("provider_{}", f.kind.as_str()),
            RebuildError::NotConfigured => "not_configured".into(),
            RebuildError::NotListed(_) => "not_found".into(),
            RebuildError::AlreadyInBook(_) => "conflict".into(),
        }
    }
}

impl From<&RebuildError> for IpcError {
    fn from(e: &RebuildError) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub type RebuildResult<T> = std::result::Result<T, RebuildError>;

/// Every Flanks credential the book lacks, in the provider's order, each with its proposal.
pub async fn list_missing(
    store: &Store,
    flanks: Option<&dyn LinkProviderApi>,
) -> RebuildResult<Vec<ProviderCredential>> {
    let remote = remote_credentials(flanks).await?;
    let book = clients::list(store, false)?;
    let installation = store.installation_id()?;
    let mut out = Vec::new();
    for c in remote {
        let hash = token_hash(&c.token);
        if connections::by_token_hash(store, &hash)?.is_some() {
            continue;
        }
        out.push(describe(&c, hash, &book, &installation));
    }
    Ok(out)
}

async fn remote_credentials(
    flanks: Option<&dyn LinkProviderApi>,
) -> RebuildResult<Vec<RemoteCredential>> {
    let api = flanks.ok_or(RebuildError::NotConfigured)?;
    api.credentials().await.map_err(RebuildError::Provider)
}

fn describe(
    c: &RemoteCredential,
    token_hash: String,
    book: &[Client],
    installation: &str,
) -> ProviderCredential {
    let reference = c.external_id.as_deref().and_then(parse_link_ref);
    let named = reference.as_ref().and_then(|r| r.client.as_ref());
    let proposal = match (&reference, named) {
        (Some(r), Some(n)) => propose(
            (r.installation == installation).then_some(n.client_id),
            n.name.as_deref(),
            book,
        ),
        _ => Proposal::Unmatched {
            reason: Unmatched::NoReference,
        },
    };
    ProviderCredential {
        provider: Provider::Flanks,
        token_hash,
        bank: c.bank.clone(),
        named_client_id: named.map(|n| n.client_id),
        named_client_name: named.and_then(|n| n.name.clone()),
        proposal,
    }
}

/// The matching rules of the module's comment. `own_id`: the id, when the reference is this
/// installation's.
fn propose(own_id: Option<i64>, name: Option<&str>, book: &[Client]) -> Proposal {
    let Some(name) = name else {
        return Proposal::Unmatched {
            reason: Unmatched::NoReference,
        };
    };
    if let Some(c) = own_id
        .and_then(|id| book.iter().find(|c| c.id == id))
        .filter(|c| same_person(&c.name, name))
    {
        return Proposal::ById {
            client_id: c.id,
            client_name: c.name.clone(),
        };
    }
    let same: Vec<&Client> = book.iter().filter(|c| same_person(&c.name, name)).collect();
    match same.as_slice() {
        [] => Proposal::NewClient {
            name: name.to_string(),
        },
        [one] => Proposal::ByName {
            client_id: one.id,
            client_name: one.name.clone(),
        },
        _ => Proposal::Unmatched {
            reason: Unmatched::SeveralClients,
        },
    }
}

/// Attaches the listed credential `token_hash` to `to`, asking the provider again for it (its
/// token never leaves the core between the list and this). The caller syncs the connection.
pub async fn reattach(
    store: &Store,
    secrets: &dyn SecretStore,
    flanks: Option<&dyn LinkProviderApi>,
    token_hash: &str,
    to: &AttachTo,
    actor: &str,
) -> RebuildResult<Reattached> {
    let remote = remote_credentials(flanks).await?;
    attach_one(store, secrets, &remote, token_hash, to, actor)
}

/// "Re-attach all matched": every listed credential with a proposal (new clients only when
/// `create_clients`, which the advisor confirmed), one list from the provider for all.
pub async fn reattach_matched(
    store: &Store,
    secrets: &dyn SecretStore,
    flanks: Option<&dyn LinkProviderApi>,
    create_clients: bool,
    actor: &str,
) -> RebuildResult<Vec<Reattached>> {
    let remote = remote_credentials(flanks).await?;
    let installation = store.installation_id()?;
    let mut done = Vec::new();
    // One at a time: a client created for the first credential is the match of the next.
    for c in &remote {
        let hash = token_hash(&c.token);
        if connections::by_token_hash(store, &hash)?.is_some() {
            continue;
        }
        let book = clients::list(store, false)?;
        let listed = describe(c, hash, &book, &installation);
        if !listed.proposal.is_matched(create_clients) {
            continue;
        }
        let Some(to) = listed.proposal.target() else {
            continue;
        };
        done.push(attach_one(
            store,
            secrets,
            &remote,
            &listed.token_hash,
            &to,
            actor,
        )?);
    }
    Ok(done)
}

fn attach_one(
    store: &Store,
    secrets: &dyn SecretStore,
    remote: &[RemoteCredential],
    hash: &str,
    to: &AttachTo,
    actor: &str,
) -> RebuildResult<Reattached> {
    let short = hash.get(..12).unwrap_or(hash).to_string();
    let c = remote
        .iter()
        .find(|c| token_hash(&c.token) == hash)
        .ok_or_else(|| RebuildError::NotListed(short.clone()))?;
    if connections::by_token_hash(store, hash)?.is_some() {
        return Err(RebuildError::AlreadyInBook(short));
    }
    if let AttachTo::Client { client_id } = to {
        clients::get(store, *client_id)?;
    }
    // Keychain first, as everywhere: a row never points at a missing token.
    credentials::put_token(store, secrets, &c.token)?;
    let installation = store.installation_id()?;
    let written = store.write(|tx| {
        let client_id = match to {
            AttachTo::Client { client_id } => *client_id,
            AttachTo::NewClient { name } => {
                let input = NewClient {
                    name: name.clone(),
                    ..NewClient::default()
                };
                clients::add_in(tx, &input, actor)?
            }
        };
        let row = NewConnectionRow {
            client_id,
            provider: Provider::Flanks,
            flow: LinkFlow::FlanksLink.as_str(),
            token_hash: hash,
            institution_id: c.bank.as_deref(),
            institution_name: None,
        };
        let audit = RowAudit {
            actor,
            action: "connection.rebuilt",
            detail: "listed by the provider after the book was lost; confirmed by the advisor",
        };
        let id = credentials::insert_connection_row(tx, &installation, &row, audit, time::now())?;
        Ok(id.map(|id| (id, client_id)))
    });
    match written {
        Ok(Some((connection_id, client_id))) => Ok(Reattached {
            token_hash: hash.to_string(),
            connection_id,
            client_id,
            created_client: matches!(to, AttachTo::NewClient { .. }),
        }),
        Ok(None) => Err(RebuildError::AlreadyInBook(short)),
        Err(e) => {
            // Nothing committed: the keychain entry goes too, unless a row already used it.
            if connections::by_token_hash(store, hash)?.is_none() {
                credentials::delete_token(store, secrets, hash)?;
            }
            Err(e.into())
        }
    }
}
