//! `LinkService`: the façade the app calls for "Connect account", "Send link", "Reauthorize",
//! the callback handler, start-up recovery, the poller and removal.
//!
//! ```text
//! start_connect(client_id, flow)                 -> LinkStart { session_id, url, expires_at, flow, purpose }
//! start_connect_at_bank(client_id, flow, bank)   -> LinkStart (skips the provider's bank list)
//! send_link(client_id, flow)                     -> LinkStart (same kind of URL, 24 h expiry)
//! start_reauthorize(connection_id)               -> ReauthStart::{Started{link} | AlreadyHealthy | ProviderStillWorking}
//! handle_callback(raw, window_session, source)   -> LinkOutcome   (embedded window and OS deep links)
//! window_closed(session_id)                      -> Option<LinkOutcome>
//! report_provider_event(session_id, code)        -> Option<LinkOutcome>   (Flinks widget error events)
//! map_existing_credential(session_id, credential_ref) -> LinkOutcome (after a Duplicate offer)
//! pending_links()                                -> Vec<PendingLink> ("waiting for provider checks"…)
//! resume_and_reconcile()                         -> RecoveryReport   (once at start-up)
//! poll_open_sessions()                           -> Vec<LinkOutcome> (every few minutes)
//! remove_connection(connection_id)               -> Removal          (after the UI asked to confirm)
//! ```
//!
//! Every outcome is `Serialize` and carries no secret (the `url` of a `LinkStart` carries the
//! one-time state and, for reauthorizations, the provider's SCA/reset token: it is only for
//! the link window or the client). The exchange is write-ahead (see [`super::ledger`]): the
//! one-use code goes to the keychain before the claim and before any exchange, the token to
//! the keychain before SQLite, and the connection row and the completed session are one
//! transaction; one worker per session in the process (`begin_flight`). Provider links carry
//! a reference to the link session (never to the client), so reconciliation can re-attach a
//! credential only to a session the advisor started and that is still open.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use serde::Serialize;

use super::callback::{parse_callback, Callback, CallbackRejection};
use super::ledger::{
    self, code_ref_for, legacy_code_ref_for, legacy_secret_ref_for, secret_ref_for, step, Mapped,
    NewMapping,
};
use super::provider::{
    session_ref, CodeExchange, ConnectSessionState, DeleteResult, LinkProviderApi, LinkRequest,
    ReauthNeed,
};
use super::sessions::{self, CallbackSource, ClaimError, LinkSession, NewLinkSession};
use super::wording::{for_code, Wording};
use super::{CallbackResult, LinkFlow, LinkPurpose};
use crate::domain::{ConnectionStatus, Provider, ProviderFailure};
use crate::error::{CoreError, IpcError};
use crate::secrets::{Secret, SecretError, SecretKey, SecretStore};
use crate::store::Store;
use crate::sync::connections::token_hash;
use crate::sync::SyncEngine;
use crate::time::{self, Timestamp};

/// A step boundary of the write-ahead exchange. Production passes [`NoObserver`]; the crash
/// test aborts the process at one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeBoundary {
    /// The callback was claimed; the code is only in memory.
    Claimed,
    /// The code is in the keychain; not yet exchanged.
    CodeSaved,
    /// The provider answered with the token; nothing of it is stored yet.
    Exchanged,
    /// The token is in the keychain; SQLite does not know the connection yet.
    TokenSaved,
    /// Connection row and completed session committed; the code entry is still there.
    Mapped,
    /// Everything done.
    CleanedUp,
}

pub trait ExchangeObserver: Send + Sync {
    fn at(&self, session_id: i64, boundary: ExchangeBoundary);
}

pub struct NoObserver;

impl ExchangeObserver for NoObserver {
    fn at(&self, _: i64, _: ExchangeBoundary) {}
}

#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Expiry of a link opened in the embedded window.
    pub window_ttl: Duration,
    /// Expiry of a link sent to the client ("Send link").
    pub send_link_ttl: Duration,
    /// How long a delayed code may keep answering 202 (seed 001: 72 h).
    pub delayed_limit: Duration,
    /// First wait before a delayed code is tried again; doubles up to `max_check`.
    pub first_check: Duration,
    pub max_check: Duration,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            window_ttl: Duration::minutes(30),
            send_link_ttl: Duration::hours(24),
            delayed_limit: Duration::hours(72),
            first_check: Duration::minutes(5),
            max_check: Duration::hours(6),
        }
    }
}

#[derive(Clone, Serialize)]
pub struct LinkStart {
    pub session_id: i64,
    /// The provider URL to open in the link window (or to send to the client).
    pub url: String,
    pub expires_at: String,
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
}

/// The URL carries the one-time state (and, for a reauthorization, the provider's SCA or
/// reset token): logs get it without its query.
impl std::fmt::Debug for LinkStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("LinkStart")
            .field("session_id", &self.session_id)
            .field("url", &format_args!("{shown}?<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("flow", &self.flow)
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// What an open link session is waiting for, for the app's list of pending connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingState {
    /// The client has not finished the provider's pages yet.
    WaitingForClient,
    /// A delayed code: "waiting for provider checks" (up to 72 h).
    WaitingForProviderChecks,
    /// A result arrived and is being stored (or will be resumed at start-up).
    Finishing,
}

#[derive(Debug, Clone, Serialize)]
pub struct PendingLink {
    pub session_id: i64,
    pub client_id: i64,
    pub connection_id: Option<i64>,
    pub flow: LinkFlow,
    pub purpose: LinkPurpose,
    pub state: PendingState,
    pub expires_at: String,
    pub next_check_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReauthStart {
    Started {
        link: LinkStart,
    },
    /// The provider needs nothing from the client; the connection was re-synced.
    AlreadyHealthy {
        connection_id: i64,
        status: ConnectionStatus,
    },
    /// The provider is still collecting the first data: nothing to reauthorize yet.
    ProviderStillWorking {
        connection_id: i64,
    },
}

/// An existing provider credential that a duplicate could be mapped to.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateCandidate {
    /// Opaque reference for [`LinkService::map_existing_credential`] (the token's hash).
    pub credential_ref: String,
    pub bank: Option<String>,
    /// Set when the credential already belongs to a client: it cannot be mapped again.
    pub mapped_to_client_id: Option<i64>,
    pub mapped_to_client_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LinkOutcome {
    Connected {
        session_id: i64,
        client_id: i64,
        connection_id: i64,
        /// The connection's status after its first sync.
        status: ConnectionStatus,
    },
    Reauthorized {
        session_id: i64,
        client_id: i64,
        connection_id: i64,
        status: ConnectionStatus,
    },
    /// A delayed code: "waiting for provider checks", tried again at `next_check_at`.
    Waiting {
        session_id: i64,
        next_check_at: String,
    },
    /// Connect v2: the client has not finished yet.
    InProgress {
        session_id: i64,
    },
    ProviderError {
        session_id: i64,
        code: String,
        #[serde(flatten)]
        wording: Wording,
    },
    /// The login is already connected: map the existing credential instead.
    Duplicate {
        session_id: i64,
        #[serde(flatten)]
        wording: Wording,
        candidates: Vec<DuplicateCandidate>,
    },
    Closed {
        session_id: i64,
    },
    Expired {
        session_id: i64,
        #[serde(flatten)]
        wording: Wording,
    },
    /// The callback was refused (and audited); nothing else happened.
    Refused {
        reason: String,
        message: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    pub connection_id: i64,
    /// False when the provider no longer knew the credential (or no token was left).
    pub deleted_at_provider: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    /// Sessions finished (or moved on) by resuming their exchange.
    pub resumed: Vec<LinkOutcome>,
    /// Connections re-attached from the provider's credential list.
    pub recovered_connections: Vec<i64>,
    /// Sessions that could not be resumed now (provider unreachable…); tried again later.
    pub errors: Vec<IpcError>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Keychain(#[from] SecretError),
    #[error("{0}")]
    Provider(ProviderFailure),
    #[error("{0} is not configured for connecting accounts")]
    NotConfigured(&'static str),
    #[error("{0}")]
    Invalid(String),
    /// Deleting a client stopped at a connection the provider could not delete.
    #[error("{0}")]
    DeletionStopped(String),
}

impl LinkError {
    pub fn code(&self) -> String {
        match self {
            LinkError::Core(e) => e.code().as_str().to_string(),
            LinkError::Keychain(e) => e.code().as_str().to_string(),
            LinkError::Provider(f) => format!("provider_{}", f.kind.as_str()),
            LinkError::NotConfigured(_) => "not_configured".into(),
            LinkError::Invalid(_) => "invalid_input".into(),
            LinkError::DeletionStopped(_) => "deletion_stopped".into(),
        }
    }
}

impl From<&LinkError> for IpcError {
    fn from(e: &LinkError) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

pub type LinkResult<T> = Result<T, LinkError>;

fn refused(r: &CallbackRejection) -> LinkOutcome {
    LinkOutcome::Refused {
        reason: r.code().to_string(),
        message: r.to_string(),
    }
}

fn claim_error(e: ClaimError) -> LinkError {
    match e {
        ClaimError::Store(e) => LinkError::Core(e),
        ClaimError::Refused(r) => LinkError::Invalid(r.to_string()),
    }
}

const ACTOR: &str = "advisor";
const SYSTEM: &str = "link";

/// Sessions whose exchange this process is running right now: the poller and the start-up
/// resume leave them alone, so a one-use code is never sent twice from here. Process-wide
/// (keyed by the store and the session), so it holds however many `LinkService` values the
/// app builds over the same store.
#[derive(Default)]
pub(super) struct InFlight(std::sync::Mutex<std::collections::HashSet<(usize, i64)>>);

static IN_FLIGHT: std::sync::OnceLock<InFlight> = std::sync::OnceLock::new();

pub(super) struct FlightGuard<'a> {
    set: &'a InFlight,
    key: (usize, i64),
}

impl InFlight {
    fn begin_key(&self, key: (usize, i64)) -> Option<FlightGuard<'_>> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Not `then_some`: it would build (and drop, re-locking) a guard on failure too.
        if set.insert(key) {
            Some(FlightGuard { set: self, key })
        } else {
            None
        }
    }
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.key);
    }
}

pub struct LinkService {
    pub(super) store: Arc<Store>,
    pub(super) secrets: Arc<dyn SecretStore>,
    pub(super) providers: HashMap<Provider, Arc<dyn LinkProviderApi>>,
    pub(super) sync: Option<SyncEngine>,
    pub(super) observer: Arc<dyn ExchangeObserver>,
    pub(super) options: LinkOptions,
}

pub(super) fn key(name: String) -> LinkResult<SecretKey> {
    Ok(SecretKey::new(name)?)
}

fn token_hash_matches(token: &Secret, hash: &str) -> bool {
    token_hash(token) == hash
}

impl LinkService {
    pub fn new(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        providers: Vec<Arc<dyn LinkProviderApi>>,
        sync: Option<SyncEngine>,
    ) -> Self {
        LinkService {
            store,
            secrets,
            providers: providers.into_iter().map(|p| (p.provider(), p)).collect(),
            sync,
            observer: Arc::new(NoObserver),
            options: LinkOptions::default(),
        }
    }

    pub fn with_options(mut self, options: LinkOptions) -> Self {
        self.options = options;
        self
    }

    /// Crash tests only: an observer called at every step boundary.
    pub fn with_observer(mut self, observer: Arc<dyn ExchangeObserver>) -> Self {
        self.observer = observer;
        self
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Open link sessions and what each is waiting for.
    pub fn pending_links(&self) -> LinkResult<Vec<PendingLink>> {
        Ok(self
            .store
            .open_link_sessions()?
            .into_iter()
            .map(|s| {
                let state = match s.exchange_step.as_deref() {
                    None => PendingState::WaitingForClient,
                    Some(step::CODE_SAVED)
                        if s.flow == LinkFlow::FlanksLink && s.next_check_at.is_some() =>
                    {
                        PendingState::WaitingForProviderChecks
                    }
                    Some(_) => PendingState::Finishing,
                };
                PendingLink {
                    session_id: s.id,
                    client_id: s.client_id,
                    connection_id: s.connection_id,
                    flow: s.flow,
                    purpose: s.purpose,
                    state,
                    expires_at: s.expires_at,
                    next_check_at: s.next_check_at,
                }
            })
            .collect())
    }

    /// Exclusive use of a session in this process, or `None` when someone else has it.
    pub(super) fn begin_flight(&self, session_id: i64) -> Option<FlightGuard<'static>> {
        let store = Arc::as_ptr(&self.store) as usize;
        IN_FLIGHT
            .get_or_init(InFlight::default)
            .begin_key((store, session_id))
    }

    /// Waits until no one else in this process works on the session.
    async fn wait_flight(&self, session_id: i64) -> FlightGuard<'static> {
        loop {
            if let Some(g) = self.begin_flight(session_id) {
                return g;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub(super) fn api(&self, provider: Provider) -> LinkResult<Arc<dyn LinkProviderApi>> {
        self.providers
            .get(&provider)
            .cloned()
            .ok_or(LinkError::NotConfigured(provider.as_str()))
    }

    // ----- starting flows -------------------------------------------------------------

    /// "Connect account" with the client present: a link for the embedded window.
    pub async fn start_connect(&self, client_id: i64, flow: LinkFlow) -> LinkResult<LinkStart> {
        let ttl = self.options.window_ttl;
        self.start(
            client_id,
            None,
            flow,
            LinkPurpose::New,
            ttl,
            None,
            None,
            None,
        )
        .await
    }

    /// "Connect account" at a bank chosen in the app (Flanks: skips the provider's bank list;
    /// a duplicate credential is then looked for at that bank only).
    pub async fn start_connect_at_bank(
        &self,
        client_id: i64,
        flow: LinkFlow,
        bank: &str,
    ) -> LinkResult<LinkStart> {
        if bank.is_empty()
            || bank.len() > 64
            || !bank
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        {
            return Err(LinkError::Invalid("not a bank id".into()));
        }
        let ttl = self.options.window_ttl;
        self.start(
            client_id,
            None,
            flow,
            LinkPurpose::New,
            ttl,
            Some(bank),
            None,
            None,
        )
        .await
    }

    /// "Send link": the same kind of URL with a longer expiry, for the client to open
    /// elsewhere. Completion is found by [`poll_open_sessions`](Self::poll_open_sessions).
    pub async fn send_link(&self, client_id: i64, flow: LinkFlow) -> LinkResult<LinkStart> {
        let ttl = self.options.send_link_ttl;
        self.start(
            client_id,
            None,
            flow,
            LinkPurpose::New,
            ttl,
            None,
            None,
            None,
        )
        .await
    }

    /// Reauthorize a connection: Pending SCA → SCA link, Blocked → reset link (both keep
    /// the credentials_token), Flinks 203 → Connect with `requestId`.
    pub async fn start_reauthorize(&self, connection_id: i64) -> LinkResult<ReauthStart> {
        let conn = self.store.connection(connection_id)?;
        let token = self.connection_token(connection_id)?;
        let api = self.api(conn.provider)?;
        let need = api.reauth_need(&token).await.map_err(LinkError::Provider)?;
        let ttl = self.options.window_ttl;
        let (purpose, flow, bank, reauth, request_id) = match need {
            ReauthNeed::Healthy => {
                let status = self.sync_now(connection_id).await?;
                return Ok(ReauthStart::AlreadyHealthy {
                    connection_id,
                    status,
                });
            }
            ReauthNeed::Pending => return Ok(ReauthStart::ProviderStillWorking { connection_id }),
            // Any Flanks connection (legacy or Connect v2) is reauthorized with a legacy
            // link: the documented way to keep the credentials_token.
            ReauthNeed::Sca { token, bank } => (
                LinkPurpose::Sca,
                LinkFlow::FlanksLink,
                bank,
                Some(token),
                None,
            ),
            ReauthNeed::Reset { token, bank } => (
                LinkPurpose::Reset,
                LinkFlow::FlanksLink,
                bank,
                Some(token),
                None,
            ),
            ReauthNeed::Mfa { request_id } => (
                LinkPurpose::Mfa,
                LinkFlow::FlinksConnect,
                None,
                None,
                Some(request_id),
            ),
        };
        let link = self
            .start(
                conn.client_id,
                Some(connection_id),
                flow,
                purpose,
                ttl,
                bank.as_deref(),
                reauth.as_ref(),
                request_id.as_deref(),
            )
            .await?;
        Ok(ReauthStart::Started { link })
    }

    #[allow(clippy::too_many_arguments)]
    async fn start(
        &self,
        client_id: i64,
        connection_id: Option<i64>,
        flow: LinkFlow,
        purpose: LinkPurpose,
        ttl: Duration,
        bank: Option<&str>,
        reauth_token: Option<&Secret>,
        request_id: Option<&str>,
    ) -> LinkResult<LinkStart> {
        let api = self.api(flow.provider())?;
        let now = time::now();
        let started = self.store.start_link_session(
            &NewLinkSession {
                client_id,
                connection_id,
                flow,
                purpose,
                ttl,
            },
            ACTOR,
            now,
        )?;
        let session_id = started.session.id;
        let sref = session_ref(&self.store.link_installation_id()?, session_id);
        let target = api
            .link_url(&LinkRequest {
                flow,
                purpose,
                state: &started.state,
                session_ref: &sref,
                bank,
                reauth_token,
                request_id,
            })
            .await;
        let target = match target {
            Ok(t) => t,
            Err(f) => {
                let detail = f.to_string();
                sessions::finish_link_session(
                    &self.store,
                    session_id,
                    "start_failed",
                    Some(&detail),
                    ACTOR,
                    time::now(),
                )?;
                return Err(LinkError::Provider(f));
            }
        };
        if let Some(psid) = &target.provider_session_id {
            ledger::set_provider_session(&self.store, session_id, psid)?;
        }
        if let Some(bank) = bank {
            ledger::set_session_institution(&self.store, session_id, bank)?;
        }
        Ok(LinkStart {
            session_id,
            url: target.url,
            expires_at: started.session.expires_at,
            flow,
            purpose,
        })
    }

    // ----- the callback ---------------------------------------------------------------

    /// The one handler for a redirect caught in the link window (`window_session` = that
    /// window's session) and for an OS deep link (`None`). Refusals are audited and return
    /// [`LinkOutcome::Refused`]; nothing else happens for them.
    pub async fn handle_callback(
        &self,
        raw: &[u8],
        window_session: Option<i64>,
        source: CallbackSource,
    ) -> LinkResult<LinkOutcome> {
        let cb = match parse_callback(raw) {
            Ok(cb) => cb,
            Err(rejection) => {
                sessions::audit_refused_callback(&self.store, &rejection, source, Some(raw.len()))
                    .map_err(claim_error)?;
                return Ok(refused(&rejection));
            }
        };
        // One worker per session in this process (the poller may be looking at it).
        let target = self.target_session(&cb, window_session)?;
        let _flight = match target {
            Some(id) => Some(self.wait_flight(id).await),
            None => None,
        };
        // Write-ahead even before the claim: a crash right after the claim must not lose a
        // one-use code (or a Flinks loginId, which no provider list can give back).
        let pre_saved = self.save_code_before_claim(&cb, target)?;
        match sessions::claim_callback(&self.store, cb, window_session, source, time::now()) {
            Ok(claimed) => self.complete_claimed(claimed.session, claimed.result).await,
            Err(ClaimError::Refused(r)) => {
                if let Some(id) = pre_saved {
                    self.drop_unclaimed_code(id)?;
                }
                Ok(refused(&r))
            }
            Err(ClaimError::Store(e)) => Err(e.into()),
        }
    }

    /// The session a callback names (by its state, else the window it arrived in); the
    /// claim decides whether it may have it.
    fn target_session(
        &self,
        cb: &Callback,
        window_session: Option<i64>,
    ) -> LinkResult<Option<i64>> {
        Ok(match (&cb.state, window_session) {
            (Some(state), _) => ledger::session_by_state(&self.store, state)?,
            (None, Some(id)) => Some(id),
            (None, None) => None,
        })
    }

    /// Puts the callback's code in the keychain under the session it names, if that session
    /// is open and unclaimed. Returns the session whose entry was written.
    fn save_code_before_claim(
        &self,
        cb: &Callback,
        target: Option<i64>,
    ) -> LinkResult<Option<i64>> {
        let code = match &cb.result {
            CallbackResult::FlanksCode { code, .. } => code,
            CallbackResult::FlinksLogin { login_id, .. } => login_id,
            _ => return Ok(None),
        };
        let Some(id) = target else { return Ok(None) };
        match self.store.link_session(id) {
            Ok(s) if s.is_open() && s.exchange_step.is_none() => {
                self.secrets.put(&self.code_key(id)?, code)?;
                Ok(Some(id))
            }
            _ => Ok(None),
        }
    }

    /// A refused callback leaves no entry behind, unless another delivery claimed the
    /// session meanwhile (its own code is then in that entry).
    fn drop_unclaimed_code(&self, session_id: i64) -> LinkResult<()> {
        let s = self.store.link_session(session_id)?;
        if s.exchange_step.is_none() {
            self.forget_code(session_id)?;
        }
        Ok(())
    }

    /// The advisor (or client) closed the link window. Ends the session unless a result
    /// already arrived.
    pub fn window_closed(&self, session_id: i64) -> LinkResult<Option<LinkOutcome>> {
        let s = self.store.link_session(session_id)?;
        if !s.is_open() || s.exchange_step.is_some() {
            return Ok(None);
        }
        ledger::finish_session_at_step(
            &self.store,
            &s,
            "closed_by_user",
            None,
            None,
            ACTOR,
            time::now(),
        )?;
        Ok(Some(LinkOutcome::Closed { session_id }))
    }

    /// An error event the link window saw (Flinks Connect posts them; no redirect follows).
    pub async fn report_provider_event(
        &self,
        session_id: i64,
        code: &str,
    ) -> LinkResult<Option<LinkOutcome>> {
        if code.is_empty()
            || code.len() > 64
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(LinkError::Invalid("not a provider event code".into()));
        }
        let s = self.store.link_session(session_id)?;
        if !s.is_open() || s.exchange_step.is_some() {
            return Ok(None);
        }
        self.end_with_error(&s, code).await.map(Some)
    }

    pub(super) async fn complete_claimed(
        &self,
        session: LinkSession,
        result: CallbackResult,
    ) -> LinkResult<LinkOutcome> {
        let id = session.id;
        self.observer.at(id, ExchangeBoundary::Claimed);
        match result {
            CallbackResult::ProviderError { code } => self.end_with_error(&session, &code).await,
            CallbackResult::FlanksCode { code, .. } => {
                self.save_code(id, &code)?;
                self.run_from_code_saved(id).await
            }
            CallbackResult::FlinksLogin {
                login_id,
                institution,
            } => {
                if let Some(i) = institution {
                    ledger::set_session_institution(&self.store, id, &i)?;
                }
                self.save_code(id, &login_id)?;
                self.run_from_code_saved(id).await
            }
            CallbackResult::ConnectSession { session_id } => {
                if session.provider_session_id.as_deref() != Some(session_id.as_str()) {
                    return self.end_with_error(&session, "session_mismatch").await;
                }
                ledger::advance(&self.store, id, step::CLAIMED, step::CODE_SAVED)?;
                self.observer.at(id, ExchangeBoundary::CodeSaved);
                self.run_from_code_saved(id).await
            }
        }
    }

    /// Write-ahead: the code (or loginId) is in the keychain before anything uses it.
    pub(super) fn save_code(&self, session_id: i64, code: &Secret) -> LinkResult<()> {
        self.secrets.put(&self.code_key(session_id)?, code)?;
        ledger::advance(&self.store, session_id, step::CLAIMED, step::CODE_SAVED)?;
        self.observer.at(session_id, ExchangeBoundary::CodeSaved);
        Ok(())
    }

    /// From `code_saved`: obtain the token (exchange / session lookup / the loginId itself).
    pub(super) async fn run_from_code_saved(&self, session_id: i64) -> LinkResult<LinkOutcome> {
        let session = self.store.link_session(session_id)?;
        let api = self.api(session.flow.provider())?;
        let code = self.saved_code(session_id)?;
        let token = match session.flow {
            LinkFlow::FlanksLink => {
                let Some(code) = code else {
                    return Box::pin(self.recover_lost(&session)).await;
                };
                match api.exchange_code(&code).await {
                    Ok(CodeExchange::Exchanged { token, .. }) => token,
                    Ok(CodeExchange::Delayed) => return self.wait_delayed(&session),
                    Ok(CodeExchange::Spent) => return Box::pin(self.recover_lost(&session)).await,
                    Err(f) => {
                        // Transient or not, the code stays saved: the poller tries again.
                        self.reschedule(&session)?;
                        return Err(LinkError::Provider(f));
                    }
                }
            }
            LinkFlow::FlanksConnectV2 => {
                let psid = session.provider_session_id.clone().unwrap_or_default();
                match api.connect_session(&psid).await {
                    Ok(ConnectSessionState::Finished { token }) => token,
                    Ok(ConnectSessionState::Failed { code }) => {
                        return self.end_with_error(&session, &code).await
                    }
                    Ok(ConnectSessionState::InProgress) => {
                        self.reschedule(&session)?;
                        return Ok(LinkOutcome::InProgress { session_id });
                    }
                    Ok(ConnectSessionState::Unknown) => {
                        return self.end_with_error(&session, "SESSION_NONEXISTENT").await
                    }
                    Err(f) => {
                        self.reschedule(&session)?;
                        return Err(LinkError::Provider(f));
                    }
                }
            }
            LinkFlow::FlinksConnect => match code {
                Some(login_id) => login_id,
                None => return Box::pin(self.recover_lost(&session)).await,
            },
        };
        self.observer.at(session_id, ExchangeBoundary::Exchanged);
        self.save_token(&session, &token).await
    }

    /// The token goes to the keychain (deterministic name), then its hash to the session.
    async fn save_token(&self, session: &LinkSession, token: &Secret) -> LinkResult<LinkOutcome> {
        let hash = token_hash(token);
        if let Some(conn) = session.connection_id {
            // A reauthorization must give back the very same credential.
            if self.store.connection_token_hash(conn)? != hash {
                let outcome = self.end_with_error(session, "different_login").await;
                self.forget_code(session.id)?;
                return outcome;
            }
        } else {
            self.secrets.put(&self.token_key(&hash)?, token)?;
        }
        ledger::record_token_saved(
            &self.store,
            session.id,
            step::CODE_SAVED,
            &hash,
            session.institution.as_deref(),
        )?;
        self.observer.at(session.id, ExchangeBoundary::TokenSaved);
        self.map_saved(session.id).await
    }

    /// From `token_saved`: one SQLite transaction maps the connection and completes the
    /// session; then the code entry is deleted and the connection synced.
    pub(super) async fn map_saved(&self, session_id: i64) -> LinkResult<LinkOutcome> {
        let session = self.store.link_session(session_id)?;
        let hash = session
            .token_hash
            .clone()
            .ok_or_else(|| LinkError::Invalid("the session has no token recorded".into()))?;
        let now = time::now();
        if let Some(connection_id) = session.connection_id {
            ledger::finish_session_at_step(
                &self.store,
                &session,
                "reauthorized",
                None,
                Some(step::MAPPED),
                SYSTEM,
                now,
            )?;
            self.observer.at(session_id, ExchangeBoundary::Mapped);
            self.cleanup(session_id)?;
            let status = self.sync_now(connection_id).await?;
            return Ok(LinkOutcome::Reauthorized {
                session_id,
                client_id: session.client_id,
                connection_id,
                status,
            });
        }
        if !self.token_saved_under_our_name(&hash)? {
            // The keychain lost the token: nothing to map; recover from the provider.
            return Box::pin(self.recover_lost(&session)).await;
        }
        let mapped = ledger::map_new_connection(
            &self.store,
            &session,
            &NewMapping {
                provider: session.flow.provider(),
                flow: session.flow.as_str(),
                token_hash: &hash,
                institution: session.institution.as_deref(),
            },
            SYSTEM,
            now,
        )?;
        self.observer.at(session_id, ExchangeBoundary::Mapped);
        self.cleanup(session_id)?;
        match mapped {
            Mapped::Created { connection_id } => {
                let status = self.sync_now(connection_id).await?;
                Ok(LinkOutcome::Connected {
                    session_id,
                    client_id: session.client_id,
                    connection_id,
                    status,
                })
            }
            Mapped::Exists { client_id, .. } => {
                let name = self.store.client(client_id).ok().map(|c| c.name);
                Ok(LinkOutcome::Duplicate {
                    session_id,
                    wording: for_code("CREDENTIALS_ALREADY_EXIST"),
                    candidates: vec![DuplicateCandidate {
                        credential_ref: hash,
                        bank: session.institution.clone(),
                        mapped_to_client_id: Some(client_id),
                        mapped_to_client_name: name,
                    }],
                })
            }
        }
    }

    pub(super) fn cleanup(&self, session_id: i64) -> LinkResult<()> {
        self.forget_code(session_id)?;
        ledger::mark_cleaned(&self.store, session_id)?;
        self.observer.at(session_id, ExchangeBoundary::CleanedUp);
        Ok(())
    }

    pub(super) fn forget_code(&self, session_id: i64) -> LinkResult<()> {
        self.secrets.delete(&self.code_key(session_id)?)?;
        self.secrets
            .delete(&key(legacy_code_ref_for(session_id))?)?;
        Ok(())
    }

    /// This installation's keychain key for a token (see [`secret_ref_for`]).
    pub(super) fn token_key(&self, token_hash: &str) -> LinkResult<SecretKey> {
        key(secret_ref_for(&self.store.installation_id()?, token_hash))
    }

    /// This installation's keychain key for a session's one-use code.
    pub(super) fn code_key(&self, session_id: i64) -> LinkResult<SecretKey> {
        key(code_ref_for(&self.store.installation_id()?, session_id))
    }

    /// A session's saved code: under this installation's name, or under the name of the
    /// build before it (an exchange the upgrade interrupted).
    pub(super) fn saved_code(&self, session_id: i64) -> LinkResult<Option<Secret>> {
        if let Some(code) = self.secrets.get(&self.code_key(session_id)?)? {
            return Ok(Some(code));
        }
        Ok(self.secrets.get(&key(legacy_code_ref_for(session_id))?)?)
    }

    /// Whether the token with this hash is in the keychain under this installation's name;
    /// one an earlier build saved under the old name is moved first (copy, then delete).
    fn token_saved_under_our_name(&self, token_hash: &str) -> LinkResult<bool> {
        let ours = self.token_key(token_hash)?;
        if self.secrets.get(&ours)?.is_some() {
            return Ok(true);
        }
        let legacy = key(legacy_secret_ref_for(token_hash))?;
        match self.secrets.get(&legacy)? {
            Some(token) if token_hash_matches(&token, token_hash) => {
                self.secrets.put(&ours, &token)?;
                self.secrets.delete(&legacy)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn wait_delayed(&self, session: &LinkSession) -> LinkResult<LinkOutcome> {
        let at = self.reschedule(session)?;
        Ok(LinkOutcome::Waiting {
            session_id: session.id,
            next_check_at: time::to_db(at),
        })
    }

    /// Next check: `first_check`, doubling per attempt, at most `max_check`.
    fn reschedule(&self, session: &LinkSession) -> LinkResult<Timestamp> {
        let attempts = session.check_attempts.saturating_add(1);
        let factor = 1i32 << session.check_attempts.min(10);
        let wait = (self.options.first_check * factor).min(self.options.max_check);
        let at = time::now() + wait;
        ledger::schedule_check(&self.store, session.id, at, attempts)?;
        Ok(at)
    }

    /// Ends the session with the provider's code and wording; a duplicate credential becomes
    /// an offer to map the existing one.
    pub(super) async fn end_with_error(
        &self,
        session: &LinkSession,
        code: &str,
    ) -> LinkResult<LinkOutcome> {
        let wording = for_code(code);
        ledger::finish_session_at_step(
            &self.store,
            session,
            code,
            Some(&wording.message),
            None,
            SYSTEM,
            time::now(),
        )?;
        if code == "CREDENTIALS_ALREADY_EXIST" {
            let candidates = self.duplicate_candidates(session).await?;
            return Ok(LinkOutcome::Duplicate {
                session_id: session.id,
                wording,
                candidates,
            });
        }
        Ok(LinkOutcome::ProviderError {
            session_id: session.id,
            code: code.to_string(),
            wording,
        })
    }

    /// Credentials the provider holds that Advisor Desk has not mapped (at the session's bank
    /// when it is known): those can be mapped to this client. Flanks' rollback does not say
    /// which login was the duplicate, so without a bank every unmapped credential is offered.
    async fn duplicate_candidates(
        &self,
        session: &LinkSession,
    ) -> LinkResult<Vec<DuplicateCandidate>> {
        let api = self.api(session.flow.provider())?;
        let remote = api.credentials().await.map_err(LinkError::Provider)?;
        let mut out = Vec::new();
        for c in remote {
            let hash = token_hash(&c.token);
            let same_bank = match (&session.institution, &c.bank) {
                (Some(want), Some(bank)) => want == bank,
                _ => true,
            };
            if same_bank && self.store.connection_by_token_hash(&hash)?.is_none() {
                out.push(DuplicateCandidate {
                    credential_ref: hash,
                    bank: c.bank,
                    mapped_to_client_id: None,
                    mapped_to_client_name: None,
                });
            }
        }
        Ok(out)
    }

    /// Maps an existing provider credential (from a duplicate offer) to the session's client,
    /// unless it already belongs to a client.
    pub async fn map_existing_credential(
        &self,
        session_id: i64,
        credential_ref: &str,
    ) -> LinkResult<LinkOutcome> {
        // The reference is a token's SHA-256 (see `DuplicateCandidate`), nothing else.
        let well_formed = credential_ref.len() == 64
            && credential_ref
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(LinkError::Invalid(
                "this is not a credential reference from a duplicate offer".into(),
            ));
        }
        let session = self.store.link_session(session_id)?;
        if session.outcome.as_deref() != Some("CREDENTIALS_ALREADY_EXIST") {
            return Err(LinkError::Invalid(
                "this connection request did not end with a duplicate credential".into(),
            ));
        }
        if let Some((_, client_id)) = self.store.connection_by_token_hash(credential_ref)? {
            let name = self.store.client(client_id)?.name;
            return Err(LinkError::Invalid(format!(
                "this credential is already connected to {name}"
            )));
        }
        let api = self.api(session.flow.provider())?;
        let remote = api.credentials().await.map_err(LinkError::Provider)?;
        let Some(found) = remote
            .into_iter()
            .find(|c| token_hash(&c.token) == credential_ref)
        else {
            return Err(LinkError::Invalid(
                "the provider no longer holds this credential".into(),
            ));
        };
        self.secrets
            .put(&self.token_key(credential_ref)?, &found.token)?;
        let connection_id = ledger::attach_recovered_credential(
            &self.store,
            session.client_id,
            &NewMapping {
                provider: session.flow.provider(),
                flow: session.flow.as_str(),
                token_hash: credential_ref,
                institution: found.bank.as_deref(),
            },
            ACTOR,
            time::now(),
        )?
        .ok_or_else(|| LinkError::Invalid("the client cannot take this credential".into()))?;
        let status = self.sync_now(connection_id).await?;
        Ok(LinkOutcome::Connected {
            session_id,
            client_id: session.client_id,
            connection_id,
            status,
        })
    }

    // ----- removal --------------------------------------------------------------------

    /// Removes a connection the advisor confirmed: the provider's credential first, then the
    /// keychain entry, then the row (with an audit entry). A provider outage leaves
    /// everything in place.
    pub async fn remove_connection(&self, connection_id: i64) -> LinkResult<Removal> {
        let conn = self.store.connection(connection_id)?;
        let secret_key = conn.secret_key()?;
        let token = self.secrets.get(&secret_key)?;
        let deleted_at_provider = match &token {
            Some(token) => {
                let api = self.api(conn.provider)?;
                match api.delete_credential(token).await {
                    Ok(DeleteResult::Deleted) => true,
                    Ok(DeleteResult::AlreadyGone) => false,
                    Err(f) => return Err(LinkError::Provider(f)),
                }
            }
            None => false,
        };
        self.secrets.delete(&secret_key)?;
        let detail = if deleted_at_provider {
            format!("{}: deleted at the provider", conn.provider.as_str())
        } else {
            format!("{}: the provider no longer had it", conn.provider.as_str())
        };
        ledger::remove_connection_row(&self.store, connection_id, &detail, ACTOR)?;
        Ok(Removal {
            connection_id,
            deleted_at_provider,
        })
    }

    // ----- helpers --------------------------------------------------------------------

    pub(super) fn connection_token(&self, connection_id: i64) -> LinkResult<Secret> {
        let conn = self.store.connection(connection_id)?;
        self.secrets.get(&conn.secret_key()?)?.ok_or_else(|| {
            LinkError::Invalid(
                "the connection's token is missing from the keychain: connect it again".into(),
            )
        })
    }

    /// Syncs a connection at once (after connecting or reauthorizing) and returns its status.
    pub(super) async fn sync_now(&self, connection_id: i64) -> LinkResult<ConnectionStatus> {
        if let Some(engine) = &self.sync {
            let outcome = engine.sync_one(connection_id, &|_| {}).await;
            return Ok(outcome.status);
        }
        Ok(self.store.connection(connection_id)?.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecretStore;

    /// Tauri runs commands on a multi-thread runtime: every public future must be `Send`.
    #[test]
    fn the_public_futures_are_send() {
        fn send<T: Send>(_: T) {}
        let store = Arc::new(Store::open_in_memory().unwrap());
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let s = LinkService::new(store, secrets, Vec::new(), None);
        send(s.start_connect(1, LinkFlow::FlanksLink));
        send(s.start_connect_at_bank(1, LinkFlow::FlanksLink, "testbank"));
        send(s.send_link(1, LinkFlow::FlinksConnect));
        send(s.start_reauthorize(1));
        send(s.handle_callback(b"", None, CallbackSource::DeepLink));
        send(s.report_provider_event(1, "X"));
        send(s.map_existing_credential(1, "x"));
        send(s.resume_and_reconcile());
        send(s.poll_open_sessions());
        send(s.remove_connection(1));
    }

    #[test]
    fn in_flight_sessions_are_exclusive_across_services_until_released() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let one = LinkService::new(store.clone(), secrets.clone(), Vec::new(), None);
        let two = LinkService::new(store, secrets.clone(), Vec::new(), None);
        let a = one.begin_flight(7).expect("free");
        assert!(two.begin_flight(7).is_none());
        // A refused attempt must not release the holder's claim.
        assert!(one.begin_flight(7).is_none());
        let b = two.begin_flight(8).expect("another session is independent");
        // Another store's session 7 is another session.
        let other = LinkService::new(
            Arc::new(Store::open_in_memory().unwrap()),
            secrets,
            Vec::new(),
            None,
        );
        assert!(other.begin_flight(7).is_some());
        drop(a);
        assert!(two.begin_flight(7).is_some());
        drop(b);
    }

    #[test]
    fn a_link_start_never_shows_its_query_in_debug() {
        let l = LinkStart {
            session_id: 1,
            url: "https://x/link?state=abc&sca_token=secret".into(),
            expires_at: String::new(),
            flow: LinkFlow::FlanksLink,
            purpose: LinkPurpose::Sca,
        };
        let shown = format!("{l:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("abc"),
            "{shown}"
        );
    }

    #[test]
    fn an_unconfigured_provider_is_a_typed_error_and_starts_nothing() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let s = LinkService::new(store.clone(), secrets, Vec::new(), None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = rt
            .block_on(s.start_connect(1, LinkFlow::FlinksConnect))
            .unwrap_err();
        assert_eq!(e.code(), "not_configured");
        assert!(store.open_link_sessions().unwrap().is_empty());
        // A refused callback is an outcome, not an error, and is audited.
        let o = rt
            .block_on(s.handle_callback(
                b"https://evil/link/callback?code=x",
                None,
                CallbackSource::DeepLink,
            ))
            .unwrap();
        assert!(matches!(o, LinkOutcome::Refused { ref reason, .. } if reason == "wrong_scheme"));
        assert_eq!(
            store.audit_log(1).unwrap()[0].action,
            "link.callback.refused"
        );
    }
}
