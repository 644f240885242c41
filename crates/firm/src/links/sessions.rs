//! Firm link sessions: starting one (a fresh one-time state, only its hash stored), claiming
//! the callback that ends it — once, only while open and unexpired, of its own flow, every
//! refusal audited, exactly as the solo book's `links::sessions` — and the exchange's step
//! writes. Row-level security decides whose sessions a member can reach at all.

use advisor_desk_core::links::sessions::MAX_TTL;
use advisor_desk_core::links::{
    state, Callback, CallbackRejection, CallbackResult, CallbackSource, Delivery, LinkFlow,
    LinkSession, NewLinkSession, StartedLinkSession,
};
use advisor_desk_core::time::Timestamp;
use chrono::Duration;
use postgres::Transaction;

use super::audit::{append, Entry};
use super::error::FirmLinkError;
use super::statements::{read, write};
use crate::queries::clients;
use crate::FirmStore;

/// The exchange's steps, the solo ledger's names (`claimed` → `code_saved` → `token_saved` →
/// `mapped`).
pub use advisor_desk_core::links::ledger::step;

/// The audit action of a refused callback (the solo book's).
pub use advisor_desk_core::links::sessions::REFUSED_ACTION;

/// Starts a session for a client the member serves, with its audit entry.
pub fn start(
    store: &FirmStore,
    new: &NewLinkSession,
    actor: &str,
    now: Timestamp,
) -> Result<StartedLinkSession, FirmLinkError> {
    if new.ttl <= Duration::zero() || new.ttl > MAX_TTL {
        return Err(FirmLinkError::Invalid(
            "a link must expire within 24 hours".into(),
        ));
    }
    if new.purpose.needs_connection() != new.connection_id.is_some() {
        return Err(FirmLinkError::Invalid(
            "a reauthorization names its connection; a new connection names none".into(),
        ));
    }
    if new.delivery != Delivery::Window {
        return Err(FirmLinkError::Invalid(
            "links sent to clients are not available in a firm's book yet".into(),
        ));
    }
    let state = state::generate().map_err(|e| FirmLinkError::Invalid(e.to_string()))?;
    let session = store.write_as(|tx| {
        match clients::read::archived(tx, new.client_id)? {
            None => {
                return Err(FirmLinkError::Invalid(format!(
                    "client {} does not exist or is not one of yours",
                    new.client_id
                )))
            }
            Some(true) => return Err(FirmLinkError::Invalid("this client is archived".into())),
            Some(false) => {}
        }
        if let Some(connection) = new.connection_id {
            let owner = tx.query_opt(
                "SELECT client_id FROM connections WHERE id = $1",
                &[&connection],
            )?;
            if owner.map(|r| r.get::<_, i64>(0)) != Some(new.client_id) {
                return Err(FirmLinkError::Invalid(format!(
                    "connection {connection} is not this client's"
                )));
            }
        }
        let id = write::insert(tx, &state::hash(&state), new, now)?;
        append(
            tx,
            &Entry {
                actor,
                client_id: Some(new.client_id),
                connection_id: new.connection_id,
                action: "link.started",
                detail: &format!("{} {}", new.flow.as_str(), new.purpose.as_str()),
            },
        )?;
        read::by_id(tx, id)?.ok_or(FirmLinkError::SessionNotFound(id))
    })?;
    Ok(StartedLinkSession { session, state })
}

/// Accepts a parsed callback for exactly one open, unexpired session, once (see the solo
/// `claim_callback`: `window_session` is the session whose window caught the redirect; a
/// deep link must carry the state). The session comes back at step `claimed`. A refusal is
/// audited and returned as [`FirmLinkError::Refused`].
pub fn claim_callback(
    store: &FirmStore,
    cb: &Callback,
    window_session: Option<i64>,
    source: CallbackSource,
    now: Timestamp,
) -> Result<LinkSession, FirmLinkError> {
    let claimed = store.write_as(|tx| claim_in(tx, cb, window_session, source, now))?;
    match claimed {
        Ok(session) => Ok(session),
        Err(rejection) => {
            store.write_as(|tx| audit_refused(tx, &rejection, source))?;
            Err(FirmLinkError::Refused(rejection))
        }
    }
}

fn claim_in(
    tx: &mut Transaction<'_>,
    cb: &Callback,
    window_session: Option<i64>,
    source: CallbackSource,
    now: Timestamp,
) -> Result<Result<LinkSession, CallbackRejection>, FirmLinkError> {
    let found = match (&cb.state, window_session) {
        (Some(state), _) => read::by_state_hash_for_update(tx, &state::hash(state))?,
        (None, Some(id)) => read::by_id_for_update(tx, id)?,
        (None, None) => return Ok(Err(CallbackRejection::NoOpenSession)),
    };
    let Some(mut session) = found else {
        return Ok(Err(CallbackRejection::UnknownState));
    };
    if window_session.is_some_and(|w| w != session.id) {
        return Ok(Err(CallbackRejection::UnknownState));
    }
    if session.completed_at.is_some() || session.exchange_step.is_some() {
        return Ok(Err(CallbackRejection::Replayed));
    }
    let expired = advisor_desk_core::time::from_db(&session.expires_at).is_none_or(|e| e <= now);
    if expired {
        return Ok(Err(CallbackRejection::Expired));
    }
    if !result_fits_flow(&cb.result, session.flow) {
        return Ok(Err(CallbackRejection::Malformed(
            "result does not match the flow",
        )));
    }
    // Compare-and-set, on a row locked above: a second delivery finds the step taken.
    if !write::advance(tx, session.id, None, step::CLAIMED)? {
        return Ok(Err(CallbackRejection::Replayed));
    }
    append(
        tx,
        &Entry {
            actor: source.as_str(),
            client_id: Some(session.client_id),
            connection_id: session.connection_id,
            action: "link.callback.accepted",
            detail: &format!("session {}", session.id),
        },
    )?;
    session.exchange_step = Some(step::CLAIMED.into());
    Ok(Ok(session))
}

/// A refused callback's entry: the reason and where it came from, never the URL.
pub(crate) fn audit_refused(
    tx: &mut Transaction<'_>,
    rejection: &CallbackRejection,
    source: CallbackSource,
) -> Result<(), FirmLinkError> {
    append(
        tx,
        &Entry {
            actor: source.as_str(),
            client_id: None,
            connection_id: None,
            action: REFUSED_ACTION,
            detail: rejection.code(),
        },
    )
}

fn result_fits_flow(result: &CallbackResult, flow: LinkFlow) -> bool {
    match result {
        CallbackResult::FlanksCode { .. } => flow == LinkFlow::FlanksLink,
        CallbackResult::ConnectSession { .. } => flow == LinkFlow::FlanksConnectV2,
        CallbackResult::FlinksLogin { .. } => flow == LinkFlow::FlinksConnect,
        CallbackResult::ProviderError { .. } => true,
    }
}

/// Moves the exchange from one step to the next; refused when another worker moved it first.
pub fn advance(
    store: &FirmStore,
    session_id: i64,
    from: &str,
    to: &str,
) -> Result<(), FirmLinkError> {
    store.write_as(|tx| {
        if write::advance(tx, session_id, Some(from), to)? {
            Ok(())
        } else {
            Err(not_at_step(session_id, from))
        }
    })
}

/// `from` → `token_saved`, recording the token's hash (the token itself is kept in the
/// keychain ledger until the mapping seals it into the firm database).
pub fn record_token_saved(
    store: &FirmStore,
    session_id: i64,
    from: &str,
    token_hash: &str,
    institution: Option<&str>,
) -> Result<(), FirmLinkError> {
    store.write_as(|tx| {
        let moved = write::record_token_saved(
            tx,
            session_id,
            from,
            step::TOKEN_SAVED,
            token_hash,
            institution,
        )?;
        if moved {
            Ok(())
        } else {
            Err(not_at_step(session_id, from))
        }
    })
}

/// Ends an open session without a connection (a provider error, the advisor closed the
/// window, expiry), with its audit entry.
pub fn finish(
    store: &FirmStore,
    session_id: i64,
    outcome: &str,
    detail: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<LinkSession, FirmLinkError> {
    store.write_as(|tx| {
        let session = read::by_id_for_update(tx, session_id)?
            .ok_or(FirmLinkError::SessionNotFound(session_id))?;
        let ending = write::Ending {
            outcome,
            detail,
            connection_id: None,
            step: None,
            token_hash: None,
        };
        finish_in(tx, &session, &ending, actor, now)?;
        read::by_id(tx, session_id)?.ok_or(FirmLinkError::SessionNotFound(session_id))
    })
}

/// Ends an open session inside the caller's transaction, with its `link.finished` entry.
pub(crate) fn finish_in(
    tx: &mut Transaction<'_>,
    session: &LinkSession,
    ending: &write::Ending<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<(), FirmLinkError> {
    if !write::finish(tx, session.id, ending, now)? {
        return Err(FirmLinkError::SessionEnded {
            session_id: session.id,
            outcome: session.outcome.clone().unwrap_or_default(),
        });
    }
    append(
        tx,
        &Entry {
            actor,
            client_id: Some(session.client_id),
            connection_id: ending.connection_id.or(session.connection_id),
            action: "link.finished",
            detail: ending.outcome,
        },
    )
}

/// Sessions still waiting for a result that the member may see.
pub fn list_open(store: &FirmStore) -> Result<Vec<LinkSession>, FirmLinkError> {
    store.read(|db| Ok(read::open(db)))?
}

fn not_at_step(session_id: i64, from: &str) -> FirmLinkError {
    FirmLinkError::NotAtStep {
        session_id,
        from: from.to_string(),
    }
}
