//! Finding results the app did not receive: resuming exchanges a crash interrupted,
//! reconciling with the provider's credentials and unused codes, and polling open sessions
//! (remote "Send link" completion, delayed codes, Connect v2 sessions, reauthorizations).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use super::callback::{Callback, CallbackResult};
use super::exchange::{Next, Step};
use super::ledger::{self, step, NewMapping};
use super::provider::{ConnectSessionState, PendingCode, ReauthNeed};
use super::reference::parse_session_ref;
use super::service::LinkService;
use super::sessions::{self, CallbackSource, ClaimError, LinkSession};
use super::types::{LinkError, LinkOutcome, LinkResult, RecoveryReport};
use super::wording::for_code;
use super::{LinkFlow, LinkPurpose};
use crate::credentials::token_hash;
use crate::credentials::{self, upgrade_keychain_names};
use crate::domain::Provider;
use crate::error::IpcError;
use crate::sync::connections;
use crate::time::{self, Timestamp};

const SYSTEM: &str = "link";

fn ipc(e: &LinkError) -> IpcError {
    IpcError::from(e)
}

/// A retried step's result for the poller: what changed, if anything. A failure (provider
/// down, keychain locked) is logged and retried on the next poll; it never stops the others.
fn quiet(session_id: i64, r: LinkResult<LinkOutcome>) -> Option<LinkOutcome> {
    match r {
        Ok(LinkOutcome::Waiting { .. }) | Ok(LinkOutcome::InProgress { .. }) => None,
        Ok(o) => Some(o),
        Err(e) => {
            tracing::warn!(session_id, code = %e.code(), error = %e, "link session not finished yet");
            None
        }
    }
}

impl LinkService {
    /// At start-up: finish every exchange a crash interrupted, delete leftover code entries,
    /// then reconcile with the providers so no credential is lost or attached twice.
    pub async fn resume_and_reconcile(&self) -> LinkResult<RecoveryReport> {
        let mut report = RecoveryReport::default();
        // Before anything removes an entry: tokens still under a name shared by every data
        // folder move to this installation's own name.
        if let Err(e) = upgrade_keychain_names(&self.store, self.secrets.as_ref()) {
            report.errors.push(IpcError::from(&e));
        }
        for id in ledger::sessions_to_clean(&self.store)? {
            self.cleanup(id)?;
        }
        for s in sessions::list_open(&self.store)? {
            let Some(_flight) = self.begin_flight(s.id) else {
                continue;
            };
            if !Step::of(&s).is_some_and(Step::is_running) {
                continue;
            }
            let result = self.run_exchange(s.id).await;
            match result {
                Ok(o) => report.resumed.push(o),
                Err(e) => report.errors.push(ipc(&e)),
            }
        }
        match self.reconcile().await {
            Ok(ids) => report.recovered_connections.extend(ids),
            Err(e) => report.errors.push(ipc(&e)),
        }
        Ok(report)
    }

    /// The code or token of a session is gone (spent before the token was stored, or never
    /// saved): find the result at the provider — an unused code carrying this session's
    /// state, else the credential re-attached by reconciliation.
    pub(super) async fn recover_lost(&self, s: &LinkSession) -> LinkResult<Next> {
        let api = self.api(s.flow.provider())?;
        if s.flow == LinkFlow::FlanksLink && s.exchange_step.as_deref() == Some(step::CLAIMED) {
            let codes = api.unused_codes().await.map_err(LinkError::Provider)?;
            if let Some(code) = self.code_for_session(&codes, s.id)? {
                self.save_code(s.id, &code.code)?;
                return Ok(Next::Advanced);
            }
        }
        self.reconcile().await?;
        if let Some(connection_id) = s.connection_id {
            let token = self.connection_token(connection_id)?;
            let healthy = matches!(
                api.reauth_need(&token).await.map_err(LinkError::Provider)?,
                ReauthNeed::Healthy | ReauthNeed::Pending
            );
            if healthy {
                let outcome = self.finish_reauthorized(s, connection_id).await?;
                return Ok(Next::Done(outcome));
            }
        } else {
            let now_s = sessions::get(&self.store, s.id)?;
            if let (false, Some("connected"), Some(connection_id)) = (
                now_s.is_open(),
                now_s.outcome.as_deref(),
                now_s.connection_id,
            ) {
                let status = self.sync_now(connection_id).await?;
                return Ok(Next::Done(LinkOutcome::Connected {
                    session_id: s.id,
                    client_id: s.client_id,
                    connection_id,
                    status,
                }));
            }
        }
        let outcome = self.end_with_error(s, "exchange_lost").await;
        ledger::forget_code(&self.store, self.secrets.as_ref(), s.id)?;
        outcome.map(Next::Done)
    }

    /// The unused code whose `extra.state` is this session's state.
    fn code_for_session<'a>(
        &self,
        codes: &'a [PendingCode],
        session_id: i64,
    ) -> LinkResult<Option<&'a PendingCode>> {
        for c in codes {
            if let Some(state) = c.extra.get("state") {
                if ledger::session_by_state(&self.store, state)? == Some(session_id) {
                    return Ok(Some(c));
                }
            }
        }
        Ok(None)
    }

    /// Re-attaches provider credentials SQLite does not know to the open link session their
    /// reference names (a crash between the exchange and the mapping), completing that
    /// session. Anything else — no reference, another installation's, a finished session —
    /// is left alone. Never twice (token_hash is UNIQUE). Returns the new connection ids.
    pub async fn reconcile(&self) -> LinkResult<Vec<i64>> {
        let mut attached = Vec::new();
        let now = time::now();
        let me = self.store.installation_id()?;
        for (provider, api) in &self.providers {
            for c in api.credentials().await.map_err(LinkError::Provider)? {
                let Some(session_id) = c
                    .external_id
                    .as_deref()
                    .and_then(|r| parse_session_ref(r, &me))
                else {
                    continue;
                };
                if let Some(id) =
                    self.attach(*provider, session_id, &c.token, c.bank.as_deref(), now)?
                {
                    attached.push(id);
                }
            }
        }
        Ok(attached)
    }

    fn attach(
        &self,
        provider: Provider,
        session_id: i64,
        token: &crate::secrets::Secret,
        bank: Option<&str>,
        now: Timestamp,
    ) -> LinkResult<Option<i64>> {
        let hash = token_hash(token);
        if connections::by_token_hash(&self.store, &hash)?.is_some() {
            return Ok(None);
        }
        match sessions::get(&self.store, session_id) {
            Ok(s) if s.is_open() && s.connection_id.is_none() => {}
            _ => return Ok(None),
        }
        let flow = match provider {
            Provider::Flanks => LinkFlow::FlanksLink,
            Provider::Flinks => LinkFlow::FlinksConnect,
        };
        // Keychain first, as everywhere: a row never points at a missing token.
        credentials::put_token(&self.store, self.secrets.as_ref(), token)?;
        let mapping = NewMapping {
            provider,
            flow: flow.as_str(),
            token_hash: &hash,
            institution: bank,
        };
        let id = ledger::attach_for_session(&self.store, session_id, &mapping, SYSTEM, now)?;
        match id {
            Some(_) => self.cleanup(session_id)?,
            None => credentials::delete_token(&self.store, self.secrets.as_ref(), &hash)?,
        }
        Ok(id)
    }

    /// Looks for results that never reached this machine and retries what is due. Returns
    /// what changed, for the app to notify.
    pub async fn poll_open_sessions(&self) -> LinkResult<Vec<LinkOutcome>> {
        self.poll_at(time::now()).await
    }

    pub async fn poll_at(&self, now: Timestamp) -> LinkResult<Vec<LinkOutcome>> {
        let mut out = Vec::new();
        let mut unused: HashMap<Provider, Vec<PendingCode>> = HashMap::new();
        for s in sessions::list_open(&self.store)? {
            let Some(_flight) = self.begin_flight(s.id) else {
                continue;
            };
            // Read again: a session completed earlier in this pass may have superseded it.
            let s = sessions::get(&self.store, s.id)?;
            if s.completed_at.is_some() {
                continue;
            }
            let due = s
                .next_check_at
                .as_deref()
                .and_then(time::from_db)
                .is_none_or(|at| at <= now);
            let created = time::from_db(&s.created_at).unwrap_or(now);
            let expired = time::from_db(&s.expires_at).is_none_or(|e| e <= now);
            let outcome = match s.exchange_step.as_deref() {
                Some(step::CODE_SAVED) if now - created > self.options.delayed_limit => {
                    Some(self.expire(&s, now)?)
                }
                // Due retries, and exchanges an error (not a crash) interrupted in this run:
                // no one else in this process works on them (see `begin_flight`).
                Some(step::CLAIMED | step::CODE_SAVED | step::TOKEN_SAVED) if due => {
                    quiet(s.id, self.run_exchange(s.id).await)
                }
                Some(_) => None,
                None => {
                    let found = self.poll_remote(&s, &mut unused, now).await?;
                    match found {
                        Some(o) => Some(o),
                        None if expired => Some(self.expire(&s, now)?),
                        None => None,
                    }
                }
            };
            out.extend(outcome);
        }
        Ok(out)
    }

    fn expire(&self, s: &LinkSession, now: Timestamp) -> LinkResult<LinkOutcome> {
        let wording = for_code("expired");
        ledger::finish_session_at_step(
            &self.store,
            s,
            "expired",
            Some(&wording.message),
            None,
            SYSTEM,
            now,
        )?;
        ledger::forget_code(&self.store, self.secrets.as_ref(), s.id)?;
        Ok(LinkOutcome::Expired {
            session_id: s.id,
            wording,
        })
    }

    /// A session with no result yet: did the client finish somewhere else?
    async fn poll_remote(
        &self,
        s: &LinkSession,
        unused: &mut HashMap<Provider, Vec<PendingCode>>,
        now: Timestamp,
    ) -> LinkResult<Option<LinkOutcome>> {
        let provider = s.flow.provider();
        let api = self.api(provider)?;
        match s.flow {
            LinkFlow::FlanksLink => {
                if let Entry::Vacant(slot) = unused.entry(provider) {
                    match api.unused_codes().await {
                        Ok(codes) => slot.insert(codes),
                        Err(_) => return Ok(None),
                    };
                }
                let codes = unused.get(&provider).map(Vec::as_slice).unwrap_or(&[]);
                if let Some(code) = self.code_for_session(codes, s.id)? {
                    let state = code.extra.get("state").cloned();
                    let cb = Callback {
                        state,
                        result: CallbackResult::FlanksCode {
                            code: code.code.clone(),
                            delayed: false,
                        },
                        extra: BTreeMap::new(),
                    };
                    return self.claim_and_complete(cb, None, now).await;
                }
                if let (Some(conn), LinkPurpose::Sca | LinkPurpose::Reset) =
                    (s.connection_id, s.purpose)
                {
                    // Reauthorized elsewhere and the code already used: the status says so.
                    let token = self.connection_token(conn)?;
                    if let Ok(ReauthNeed::Healthy) = api.reauth_need(&token).await {
                        return self
                            .finish_found_reauthorization(s, conn, now)
                            .await
                            .map(Some);
                    }
                }
                Ok(None)
            }
            LinkFlow::FlanksConnectV2 => {
                let Some(psid) = s.provider_session_id.clone() else {
                    return Ok(None);
                };
                match api.connect_session(&psid).await {
                    Ok(ConnectSessionState::Finished { .. })
                    | Ok(ConnectSessionState::Failed { .. }) => {
                        let cb = Callback {
                            state: None,
                            result: CallbackResult::ConnectSession { session_id: psid },
                            extra: BTreeMap::new(),
                        };
                        self.claim_and_complete(cb, Some(s.id), now).await
                    }
                    _ => Ok(None),
                }
            }
            // A reconnection finished elsewhere: the login's data moved after the link was made.
            LinkFlow::FlinksConnect => match (s.connection_id, s.purpose) {
                (Some(conn), LinkPurpose::Mfa) => {
                    let token = self.connection_token(conn)?;
                    let moved = match api.last_live_refresh(&token).await {
                        Ok(Some(at)) => time::from_db(&s.created_at).is_some_and(|c| at > c),
                        _ => false,
                    };
                    if !moved {
                        return Ok(None);
                    }
                    self.finish_found_reauthorization(s, conn, now)
                        .await
                        .map(Some)
                }
                // No way to list a new login that never reached us: the link expires.
                _ => Ok(None),
            },
        }
    }

    /// A reauthorization the client finished elsewhere, found by polling: the session ends
    /// `reauthorized` (renewing the consent) and the connection is re-synced.
    async fn finish_found_reauthorization(
        &self,
        s: &LinkSession,
        connection_id: i64,
        now: Timestamp,
    ) -> LinkResult<LinkOutcome> {
        ledger::finish_session_at_step(
            &self.store,
            s,
            ledger::REAUTHORIZED,
            Some("found by polling"),
            None,
            SYSTEM,
            now,
        )?;
        let status = self.sync_now(connection_id).await?;
        Ok(LinkOutcome::Reauthorized {
            session_id: s.id,
            client_id: s.client_id,
            connection_id,
            status,
        })
    }

    /// The poller claims like any callback: once, only for an open, unexpired session.
    async fn claim_and_complete(
        &self,
        cb: Callback,
        session: Option<i64>,
        now: Timestamp,
    ) -> LinkResult<Option<LinkOutcome>> {
        match sessions::claim_callback(&self.store, cb, session, CallbackSource::Poller, now) {
            Ok(claimed) => self
                .complete_claimed(claimed.session, claimed.result)
                .await
                .map(Some),
            Err(ClaimError::Refused(_)) => Ok(None),
            Err(ClaimError::Store(e)) => Err(e.into()),
        }
    }
}
