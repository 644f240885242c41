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
//! reject_holder(connection_id)                   -> Removal          ("Not this client": the holder check)
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

use super::callback::{parse_callback, Callback, CallbackRejection};
use super::ledger::{self, step, NewMapping};
use super::provider::{DeleteResult, LinkProviderApi, LinkRequest};
use super::reauth_plan::{plan, Reauth, ReauthPlan};
use super::reference::{client_link_ref, session_ref};
use super::sessions::{self, CallbackSource, ClaimError, Delivery, LinkSession, NewLinkSession};
use super::wording::for_code;
use super::{CallbackResult, LinkFlow, LinkPurpose};
use crate::clients;
use crate::credentials::{self, token_hash};
use crate::domain::{ConnectionStatus, Provider};
use crate::secrets::{Secret, SecretStore};
use crate::store::Store;
use crate::sync::connections;
use crate::sync::holder_check;
use crate::sync::SyncEngine;
use crate::time;

// The public types live in `types.rs`; their old paths (`links::service::…`) still work.
pub use super::types::{
    DuplicateCandidate, ExchangeBoundary, ExchangeObserver, LinkError, LinkOptions, LinkOutcome,
    LinkResult, LinkStart, NoObserver, PendingLink, PendingState, ReauthStart, RecoveryReport,
    Removal,
};

/// What starting a link flow needs, by name.
struct StartRequest<'a> {
    client_id: i64,
    /// The connection being reauthorized (`None` for a new connection).
    connection_id: Option<i64>,
    flow: LinkFlow,
    purpose: LinkPurpose,
    /// Opened in the app's window or sent to the client: decides how long the link stays valid.
    delivery: Delivery,
    /// A bank chosen in the app (Flanks skips its bank list).
    bank: Option<&'a str>,
    /// The provider's SCA or reset token of a reauthorization.
    reauth_token: Option<&'a Secret>,
    /// Flinks: the `requestId` of the MFA to answer.
    request_id: Option<&'a str>,
}

impl StartRequest<'_> {
    /// A new connection for a client.
    fn new_connection(client_id: i64, flow: LinkFlow, delivery: Delivery) -> Self {
        StartRequest {
            client_id,
            connection_id: None,
            flow,
            purpose: LinkPurpose::New,
            delivery,
            bank: None,
            reauth_token: None,
            request_id: None,
        }
    }
}

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

pub struct LinkService {
    pub(super) store: Arc<Store>,
    pub(super) secrets: Arc<dyn SecretStore>,
    pub(super) providers: HashMap<Provider, Arc<dyn LinkProviderApi>>,
    pub(super) sync: Option<SyncEngine>,
    pub(super) observer: Arc<dyn ExchangeObserver>,
    pub(super) options: LinkOptions,
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
        Ok(sessions::list_open(&self.store)?
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

    pub(super) fn api(&self, provider: Provider) -> LinkResult<Arc<dyn LinkProviderApi>> {
        self.providers
            .get(&provider)
            .cloned()
            .ok_or(LinkError::NotConfigured(provider.as_str()))
    }

    // ----- starting flows -------------------------------------------------------------

    /// "Connect account" with the client present: a link for the embedded window.
    pub async fn start_connect(&self, client_id: i64, flow: LinkFlow) -> LinkResult<LinkStart> {
        self.start(StartRequest::new_connection(
            client_id,
            flow,
            Delivery::Window,
        ))
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
        self.start(StartRequest {
            bank: Some(bank),
            ..StartRequest::new_connection(client_id, flow, Delivery::Window)
        })
        .await
    }

    /// "Send link": the same kind of URL with a longer expiry, for the client to open
    /// elsewhere. Completion is found by [`poll_open_sessions`](Self::poll_open_sessions).
    pub async fn send_link(&self, client_id: i64, flow: LinkFlow) -> LinkResult<LinkStart> {
        self.start(StartRequest::new_connection(
            client_id,
            flow,
            Delivery::Sent,
        ))
        .await
    }

    /// Reauthorize a connection: Pending SCA → SCA link, Blocked → reset link (both keep
    /// the credentials_token), Flinks 203 → Connect with `requestId`, Flinks past the
    /// reconnect window → Connect's credential step for the institution. For a working
    /// Flinks connection this is "Update now": a live refresh with the client present.
    pub async fn start_reauthorize(&self, connection_id: i64) -> LinkResult<ReauthStart> {
        self.reauthorize(connection_id, Delivery::Window, Reauth::AsNeeded)
            .await
    }

    /// Starts the link a connection needs (or, with [`Reauth::Renew`], a fresh SCA / live
    /// connection even when healthy), opened in the window or sent.
    pub(super) async fn reauthorize(
        &self,
        connection_id: i64,
        delivery: Delivery,
        why: Reauth,
    ) -> LinkResult<ReauthStart> {
        let conn = connections::get(&self.store, connection_id)?;
        let token = self.connection_token(connection_id)?;
        let api = self.api(conn.provider)?;
        let need = why
            .ask(api.as_ref(), &token)
            .await
            .map_err(LinkError::Provider)?;
        let link = match plan(need, conn.institution_id.as_deref()) {
            ReauthPlan::Healthy => {
                // Flinks answered a live Authorize: a live connection, whatever asked for it.
                // (A healthy Flanks status is only a check; Renew there always asks for SCA.)
                if conn.provider == Provider::Flinks {
                    ledger::record_consent_renewed(&self.store, &conn, ACTOR, time::now())?;
                }
                let status = self.sync_now(connection_id).await?;
                return Ok(ReauthStart::AlreadyHealthy {
                    connection_id,
                    status,
                });
            }
            ReauthPlan::ProviderStillWorking => {
                return Ok(ReauthStart::ProviderStillWorking { connection_id })
            }
            ReauthPlan::Link(link) => link,
        };
        let link = self
            .start(StartRequest {
                client_id: conn.client_id,
                connection_id: Some(connection_id),
                flow: link.flow,
                purpose: link.purpose,
                delivery,
                bank: link.bank.as_deref(),
                reauth_token: link.reauth_token.as_ref(),
                request_id: link.request_id.as_deref(),
            })
            .await?;
        Ok(ReauthStart::Started { link })
    }

    async fn start(&self, request: StartRequest<'_>) -> LinkResult<LinkStart> {
        let StartRequest {
            client_id,
            connection_id,
            flow,
            purpose,
            delivery,
            bank,
            reauth_token,
            request_id,
        } = request;
        let api = self.api(flow.provider())?;
        let now = time::now();
        let started = sessions::start(
            &self.store,
            &NewLinkSession {
                client_id,
                connection_id,
                flow,
                purpose,
                ttl: self.options.ttl(delivery),
                delivery,
            },
            ACTOR,
            now,
        )?;
        let session_id = started.session.id;
        let installation = self.store.installation_id()?;
        let sref = session_ref(&installation, session_id);
        let client_name = crate::clients::get(&self.store, client_id)?.name;
        let cref = client_link_ref(&installation, session_id, client_id, &client_name);
        let target = api
            .link_url(&LinkRequest {
                flow,
                purpose,
                state: &started.state,
                session_ref: &sref,
                client_ref: &cref,
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
        match sessions::get(&self.store, id) {
            Ok(s) if s.is_open() && s.exchange_step.is_none() => {
                ledger::put_code(&self.store, self.secrets.as_ref(), id, code)?;
                Ok(Some(id))
            }
            _ => Ok(None),
        }
    }

    /// A refused callback leaves no entry behind, unless another delivery claimed the
    /// session meanwhile (its own code is then in that entry).
    fn drop_unclaimed_code(&self, session_id: i64) -> LinkResult<()> {
        let s = sessions::get(&self.store, session_id)?;
        if s.exchange_step.is_none() {
            ledger::forget_code(&self.store, self.secrets.as_ref(), session_id)?;
        }
        Ok(())
    }

    /// The advisor (or client) closed the link window. Ends the session unless a result
    /// already arrived.
    pub fn window_closed(&self, session_id: i64) -> LinkResult<Option<LinkOutcome>> {
        let s = sessions::get(&self.store, session_id)?;
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
        let s = sessions::get(&self.store, session_id)?;
        if !s.is_open() || s.exchange_step.is_some() {
            return Ok(None);
        }
        self.end_with_error(&s, code).await.map(Some)
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
            if same_bank && connections::by_token_hash(&self.store, &hash)?.is_none() {
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
        let session = sessions::get(&self.store, session_id)?;
        if session.outcome.as_deref() != Some("CREDENTIALS_ALREADY_EXIST") {
            return Err(LinkError::Invalid(
                "this connection request did not end with a duplicate credential".into(),
            ));
        }
        if let Some((_, client_id)) = connections::by_token_hash(&self.store, credential_ref)? {
            let name = clients::get(&self.store, client_id)?.name;
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
        // The token hashes to `credential_ref` (found by it just above).
        credentials::put_token(&self.store, self.secrets.as_ref(), &found.token)?;
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
        self.remove(connection_id, "").await
    }

    /// "Not this client": a connection held by the holder check belongs to someone else, so
    /// it is removed exactly as [`Self::remove_connection`] removes one, the audit entry
    /// saying why. Refused unless the connection is waiting for this answer.
    pub async fn reject_holder(&self, connection_id: i64) -> LinkResult<Removal> {
        holder_check::require_pending(&self.store, connection_id)?;
        self.remove(
            connection_id,
            "; not this client (the account holder check)",
        )
        .await
    }

    /// The removal: provider, keychain, row; `why` ends the audit entry's detail.
    async fn remove(&self, connection_id: i64, why: &str) -> LinkResult<Removal> {
        let conn = connections::get(&self.store, connection_id)?;
        let token = credentials::token_of(self.secrets.as_ref(), &conn)?;
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
        credentials::delete_entry(self.secrets.as_ref(), &conn.secret_ref)?;
        let detail = if deleted_at_provider {
            format!("{}: deleted at the provider{why}", conn.provider.as_str())
        } else {
            format!(
                "{}: the provider no longer had it{why}",
                conn.provider.as_str()
            )
        };
        ledger::remove_connection_row(&self.store, connection_id, &detail, ACTOR)?;
        Ok(Removal {
            connection_id,
            deleted_at_provider,
        })
    }

    // ----- helpers --------------------------------------------------------------------

    pub(super) fn connection_token(&self, connection_id: i64) -> LinkResult<Secret> {
        let conn = connections::get(&self.store, connection_id)?;
        credentials::token_of(self.secrets.as_ref(), &conn)?.ok_or_else(|| {
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
        Ok(connections::get(&self.store, connection_id)?.status)
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
        send(s.reject_holder(1));
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
        assert!(sessions::list_open(&store).unwrap().is_empty());
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
