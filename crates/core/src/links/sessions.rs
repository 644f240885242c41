//! Link sessions in the store: start one (a fresh one-time state), and claim the callback that
//! ends it — at most once, only while open and unexpired. Refusals are audited.

use chrono::Duration;
use serde::Serialize;

use super::callback::{Callback, CallbackRejection, CallbackResult};
use super::ledger::{self, step};
use super::{state, LinkFlow, LinkPurpose};
use crate::error::{CoreError, Result};
use crate::store::audit::{append, NewAuditEntry};
use crate::store::queries::{clients, connections, link_sessions};
use crate::store::Store;
use crate::time::{self, Timestamp};

/// The longest a started link may wait for its redirect.
pub const MAX_TTL: Duration = Duration::hours(24);

pub struct NewLinkSession {
    pub client_id: i64,
    /// The connection being reauthorized (required unless `purpose` is `New`).
    pub connection_id: Option<i64>,
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
    pub ttl: Duration,
    pub delivery: Delivery,
}

/// Where the link is opened: in the app's own window with the client present, or sent to the
/// client, who opens it elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Window,
    Sent,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Window => "window",
            Delivery::Sent => "sent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "window" => Some(Delivery::Window),
            "sent" => Some(Delivery::Sent),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkSession {
    pub id: i64,
    pub client_id: i64,
    pub connection_id: Option<i64>,
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
    pub provider_session_id: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub completed_at: Option<String>,
    pub outcome: Option<String>,
    pub outcome_detail: Option<String>,
    /// Write-ahead progress of the exchange (`claimed`, `code_saved`, `token_saved`, …).
    pub exchange_step: Option<String>,
    /// SHA-256 of the token the exchange produced (names its keychain entry on resume).
    #[serde(skip)]
    pub token_hash: Option<String>,
    /// When the poller looks at this session again (delayed codes, remote completion).
    pub next_check_at: Option<String>,
    pub check_attempts: u32,
    pub institution: Option<String>,
    pub delivery: Delivery,
}

impl LinkSession {
    pub fn is_open(&self) -> bool {
        self.completed_at.is_none()
    }
}

/// A started session and the state value to put in the provider URL. The state is returned
/// once and never stored (only its hash is).
pub struct StartedLinkSession {
    pub session: LinkSession,
    pub state: String,
}

/// A callback accepted for a session: the caller now runs the exchange.
#[derive(Debug)]
pub struct ClaimedCallback {
    pub session: LinkSession,
    pub result: CallbackResult,
}

/// Where a callback came from, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallbackSource {
    /// The embedded link window's navigation was intercepted.
    EmbeddedWindow,
    /// The operating system delivered an `advisordesk://` URL.
    DeepLink,
    /// The app found the result itself (an unused code, a finished Connect v2 session).
    Poller,
}

impl CallbackSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackSource::EmbeddedWindow => "embedded_window",
            CallbackSource::DeepLink => "deep_link",
            CallbackSource::Poller => "poller",
        }
    }
}

/// Starts a session: a fresh one-time state (only its hash stored) and its audit entry.
pub fn start(
    store: &Store,
    new: &NewLinkSession,
    actor: &str,
    now: Timestamp,
) -> Result<StartedLinkSession> {
    if new.ttl <= Duration::zero() || new.ttl > MAX_TTL {
        return Err(CoreError::invalid("a link must expire within 24 hours"));
    }
    if new.purpose.needs_connection() != new.connection_id.is_some() {
        return Err(CoreError::invalid(
            "a reauthorization names its connection; a new connection names none",
        ));
    }
    let state = state::generate()?;
    let id = store.write(|tx| {
        match clients::read::archived(tx, new.client_id)? {
            None => return Err(CoreError::not_found("client", new.client_id)),
            Some(true) => return Err(CoreError::invalid("this client is archived")),
            Some(false) => {}
        }
        if let Some(conn) = new.connection_id {
            if connections::read::client_of(tx, conn)? != Some(new.client_id) {
                return Err(CoreError::not_found("connection", conn));
            }
        }
        let id = link_sessions::write::insert(tx, &state::hash(&state), new, now)?;
        append(
            tx,
            &NewAuditEntry {
                actor,
                client_id: Some(new.client_id),
                connection_id: new.connection_id,
                action: "link.started",
                detail: &format!("{} {}", new.flow.as_str(), new.purpose.as_str()),
            },
        )?;
        Ok(id)
    })?;
    Ok(StartedLinkSession {
        session: get(store, id)?,
        state,
    })
}

pub fn get(store: &Store, id: i64) -> Result<LinkSession> {
    store
        .read(|c| link_sessions::read::by_id(c, id))?
        .ok_or_else(|| CoreError::not_found("link session", id))
}

/// Sessions still waiting for a result (including delayed codes past their link expiry).
pub fn list_open(store: &Store) -> Result<Vec<LinkSession>> {
    store.read(link_sessions::read::open)
}

/// Per connection, its newest session when that one was sent to the client.
pub fn newest_sent_per_connection(store: &Store) -> Result<Vec<LinkSession>> {
    store.read(link_sessions::read::newest_sent_per_connection)
}

/// The one entry point for a callback URL from anywhere: parse, then claim. Every refusal
/// is audited, and nothing else happens.
pub fn receive_callback(
    store: &Store,
    raw: &[u8],
    window_session: Option<i64>,
    source: CallbackSource,
    now: Timestamp,
) -> Result<ClaimedCallback, ClaimError> {
    match super::parse_callback(raw) {
        Ok(cb) => claim_callback(store, cb, window_session, source, now),
        Err(rejection) => {
            audit_refused_callback(store, &rejection, source, Some(raw.len()))?;
            Err(ClaimError::Refused(rejection))
        }
    }
}

/// Accepts a parsed callback for exactly one open, unexpired session, once. `window_session`
/// is the session whose embedded window caught the redirect (a Flanks legacy success
/// redirect carries only `code`, so the window is what ties it to its session); a deep link
/// from the OS has none and must carry the state.
pub fn claim_callback(
    store: &Store,
    cb: Callback,
    window_session: Option<i64>,
    source: CallbackSource,
    now: Timestamp,
) -> Result<ClaimedCallback, ClaimError> {
    let claimed = store.write(|tx| {
        let found: Option<LinkSession> = match (&cb.state, window_session) {
            (Some(state), _) => link_sessions::read::by_state_hash(tx, &state::hash(state))?,
            (None, Some(id)) => link_sessions::read::by_id(tx, id)?,
            (None, None) => return Ok(Err(CallbackRejection::NoOpenSession)),
        };
        let Some(session) = found else {
            return Ok(Err(CallbackRejection::UnknownState));
        };
        if window_session.is_some_and(|w| w != session.id) {
            return Ok(Err(CallbackRejection::UnknownState));
        }
        if session.completed_at.is_some() || session.exchange_step.is_some() {
            return Ok(Err(CallbackRejection::Replayed));
        }
        if time::from_db(&session.expires_at).is_none_or(|e| e <= now) {
            return Ok(Err(CallbackRejection::Expired));
        }
        if !result_fits_flow(&cb.result, session.flow) {
            return Ok(Err(CallbackRejection::Malformed(
                "result does not match the flow",
            )));
        }
        // Compare-and-set: a concurrent second delivery finds the step already taken.
        if !link_sessions::write::advance(tx, session.id, None, step::CLAIMED)? {
            return Ok(Err(CallbackRejection::Replayed));
        }
        append(
            tx,
            &NewAuditEntry {
                actor: source.as_str(),
                client_id: Some(session.client_id),
                connection_id: session.connection_id,
                action: "link.callback.accepted",
                detail: &format!("session {}", session.id),
            },
        )?;
        Ok(Ok(session))
    });
    match claimed {
        Ok(Ok(mut session)) => {
            session.exchange_step = Some(step::CLAIMED.into());
            Ok(ClaimedCallback {
                session,
                result: cb.result,
            })
        }
        Ok(Err(rejection)) => {
            audit_refused_callback(store, &rejection, source, None)?;
            Err(ClaimError::Refused(rejection))
        }
        Err(e) => Err(ClaimError::Store(e)),
    }
}

/// The audit action of a refused callback.
pub const REFUSED_ACTION: &str = "link.callback.refused";

/// Records a refused callback: the reason and where it came from, never the URL.
pub fn audit_refused_callback(
    store: &Store,
    rejection: &CallbackRejection,
    source: CallbackSource,
    raw_len: Option<usize>,
) -> Result<(), ClaimError> {
    let detail = match raw_len {
        Some(n) => format!("{} ({n} bytes)", rejection.code()),
        None => rejection.code().to_string(),
    };
    // A flood of forged links must not flood the log: beyond a few per kind and minute they
    // are counted (`store::audit_throttle`).
    let kind = format!("{REFUSED_ACTION} {}/{}", source.as_str(), rejection.code());
    let entry = NewAuditEntry {
        actor: source.as_str(),
        client_id: None,
        connection_id: None,
        action: REFUSED_ACTION,
        detail: &detail,
    };
    store
        .audit_throttled(&kind, &entry, time::now())
        .map_err(ClaimError::Store)
}

/// Ends a session with its outcome (`connected`, `reauthorized`, a provider error code,
/// `closed_by_user`, `expired`…) and the provider's wording when there is one.
pub fn finish_link_session(
    store: &Store,
    session_id: i64,
    outcome: &str,
    detail: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<LinkSession> {
    let session = get(store, session_id)?;
    ledger::finish_session_at_step(store, &session, outcome, detail, None, actor, now)?;
    get(store, session_id)
}

fn result_fits_flow(result: &CallbackResult, flow: LinkFlow) -> bool {
    match result {
        CallbackResult::FlanksCode { .. } => flow == LinkFlow::FlanksLink,
        CallbackResult::ConnectSession { .. } => flow == LinkFlow::FlanksConnectV2,
        CallbackResult::FlinksLogin { .. } => flow == LinkFlow::FlinksConnect,
        CallbackResult::ProviderError { .. } => true,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error(transparent)]
    Refused(CallbackRejection),
    #[error(transparent)]
    Store(CoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::parse_callback;
    use crate::test_support;

    fn setup() -> (Store, i64) {
        let store = Store::open_in_memory().unwrap();
        let client = test_support::client(&store, "Ana");
        (store, client)
    }

    use crate::test_support::start_session as start;

    fn claim(
        store: &Store,
        url: &str,
        window: Option<i64>,
        now: Timestamp,
    ) -> Result<ClaimedCallback, ClaimError> {
        let cb = parse_callback(url.as_bytes()).unwrap();
        claim_callback(store, cb, window, CallbackSource::DeepLink, now)
    }

    fn refused(r: Result<ClaimedCallback, ClaimError>) -> &'static str {
        match r {
            Err(ClaimError::Refused(rej)) => rej.code(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_callback_is_accepted_once_for_its_open_session() {
        let (store, client) = setup();
        let now = time::now();
        let s = start(&store, client, LinkFlow::FlinksConnect, now);
        let url = format!(
            "advisordesk://link/callback?state={}&loginId=abc-1&institution=FlinksCapital",
            s.state
        );
        let ok = claim(&store, &url, None, now).unwrap();
        assert_eq!(ok.session.id, s.session.id);
        assert_eq!(
            get(&store, s.session.id).unwrap().exchange_step.as_deref(),
            Some("claimed")
        );
        assert_eq!(refused(claim(&store, &url, None, now)), "replayed");
        let actions: Vec<_> = store
            .audit_log(10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions[0], "link.callback.refused");
        assert_eq!(actions[1], "link.callback.accepted");
    }

    #[test]
    fn unknown_expired_and_mismatched_callbacks_are_refused() {
        let (store, client) = setup();
        let now = time::now();
        let s = start(&store, client, LinkFlow::FlanksLink, now);
        let other_state = state::generate().unwrap();
        assert_eq!(
            refused(claim(
                &store,
                &format!("advisordesk://link/callback?state={other_state}&code=c1"),
                None,
                now
            )),
            "unknown_state"
        );
        // A Flinks result for a Flanks session.
        assert_eq!(
            refused(claim(
                &store,
                &format!("advisordesk://link/callback?state={}&loginId=x", s.state),
                None,
                now
            )),
            "malformed"
        );
        // A state-less Flanks code from the OS: no session can be chosen.
        assert_eq!(
            refused(claim(
                &store,
                "advisordesk://link/callback?code=c1",
                None,
                now
            )),
            "no_open_session"
        );
        let later = now + Duration::minutes(31);
        assert_eq!(
            refused(claim(
                &store,
                &format!("advisordesk://link/callback?state={}&code=c1", s.state),
                None,
                later
            )),
            "expired"
        );
        // Still claimable in time, through its own window, without a state.
        let ok = claim(
            &store,
            "advisordesk://link/callback?code=c1",
            Some(s.session.id),
            now,
        )
        .unwrap();
        assert!(matches!(ok.result, CallbackResult::FlanksCode { .. }));
    }

    #[test]
    fn a_window_cannot_claim_another_sessions_state() {
        let (store, client) = setup();
        let now = time::now();
        let a = start(&store, client, LinkFlow::FlanksLink, now);
        let b = start(&store, client, LinkFlow::FlanksLink, now);
        let url = format!("advisordesk://link/callback?state={}&code=c1", a.state);
        assert_eq!(
            refused(claim(&store, &url, Some(b.session.id), now)),
            "unknown_state"
        );
    }

    #[test]
    fn reauthorization_must_name_a_connection_of_the_same_client() {
        let (store, client) = setup();
        let now = time::now();
        let new = |connection_id, purpose| NewLinkSession {
            client_id: client,
            connection_id,
            flow: LinkFlow::FlanksLink,
            purpose,
            ttl: Duration::minutes(10),
            delivery: Delivery::Window,
        };
        let e = super::start(&store, &new(None, LinkPurpose::Sca), "a", now)
            .err()
            .unwrap();
        assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
        let e = super::start(&store, &new(Some(99), LinkPurpose::Sca), "a", now)
            .err()
            .unwrap();
        assert_eq!(e.code(), crate::ErrorCode::NotFound);
        let e = super::start(
            &store,
            &NewLinkSession {
                ttl: Duration::days(3),
                ..new(None, LinkPurpose::New)
            },
            "a",
            now,
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("24 hours"));
    }

    #[test]
    fn write_ahead_steps_advance_only_from_the_expected_step_and_finish_once() {
        let (store, client) = setup();
        let now = time::now();
        let s = start(&store, client, LinkFlow::FlanksLink, now);
        claim(
            &store,
            &format!("advisordesk://link/callback?state={}&code=c9", s.state),
            None,
            now,
        )
        .unwrap();
        ledger::advance(&store, s.session.id, "claimed", "code_saved").unwrap();
        assert!(ledger::advance(&store, s.session.id, "claimed", "code_saved").is_err());
        let done =
            finish_link_session(&store, s.session.id, "connected", None, "advisor", now).unwrap();
        assert!(!done.is_open());
        assert!(
            finish_link_session(&store, s.session.id, "connected", None, "advisor", now).is_err()
        );
        assert!(list_open(&store).unwrap().is_empty());
        // The state itself is nowhere in the database.
        let stored: String = store
            .read(|c| Ok(c.query_row("SELECT state_hash FROM link_sessions", [], |r| r.get(0))?))
            .unwrap();
        assert_ne!(stored, s.state);
    }
}
