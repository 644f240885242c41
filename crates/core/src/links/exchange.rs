//! The exchange of a claimed link session: a short state machine over the write-ahead
//! ledger's steps (see [`super::ledger::step`]). Each step is one function that leaves the
//! ledger at the next step, or ends the flow with an outcome:
//!
//! ```text
//! claimed ──code in the keychain──▶ code_saved ──provider gives the token (exchanged)
//!   ──token in the keychain, hash in the session──▶ token_saved
//!   ──connection row + session completed, one transaction──▶ mapped ──code entry deleted──▶ done
//! ```
//!
//! A callback enters at `claimed` with its code in memory ([`LinkService::complete_claimed`]);
//! start-up recovery and the poller enter wherever the ledger says a session stopped
//! ([`LinkService::run_exchange`]). The crash test stops the process at every boundary
//! ([`ExchangeBoundary`]) and recovery must finish from there.

use super::callback::CallbackResult;
use super::ledger::{self, step, Mapped, NewMapping};
use super::provider::{CodeExchange, ConnectSessionState};
use super::service::LinkService;
use super::sessions::LinkSession;
use super::types::{DuplicateCandidate, ExchangeBoundary, LinkError, LinkOutcome, LinkResult};
use super::wording::for_code;
use super::LinkFlow;
use crate::clients;
use crate::credentials;
use crate::links::sessions;
use crate::secrets::Secret;
use crate::sync::connections;
use crate::time::{self, Timestamp};

const SYSTEM: &str = "link";

/// Where a session's exchange stands, as its ledger says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    Claimed,
    CodeSaved,
    TokenSaved,
    Mapped,
    Done,
}

impl Step {
    /// `None` when the exchange has not started (no callback claimed yet).
    pub(super) fn of(session: &LinkSession) -> Option<Step> {
        Some(match session.exchange_step.as_deref()? {
            step::CLAIMED => Step::Claimed,
            step::CODE_SAVED => Step::CodeSaved,
            step::TOKEN_SAVED => Step::TokenSaved,
            step::MAPPED => Step::Mapped,
            _ => Step::Done,
        })
    }

    /// Whether the exchange still has work that [`LinkService::run_exchange`] can do.
    pub(super) fn is_running(self) -> bool {
        matches!(self, Step::Claimed | Step::CodeSaved | Step::TokenSaved)
    }
}

/// What a step did: moved the ledger on, or ended the flow.
pub(super) enum Next {
    Advanced,
    Done(LinkOutcome),
}

impl LinkService {
    /// Runs a session's exchange from the step its ledger records to the end. The caller
    /// holds the session's flight (see `begin_flight`).
    pub(super) async fn run_exchange(&self, session_id: i64) -> LinkResult<LinkOutcome> {
        loop {
            let session = sessions::get(&self.store, session_id)?;
            let next = match Step::of(&session) {
                Some(Step::Claimed) => self.resume_claimed(&session).await?,
                Some(Step::CodeSaved) => self.obtain_token(&session).await?,
                Some(Step::TokenSaved) => self.map_credential(&session).await?,
                _ => {
                    return Err(LinkError::Invalid(format!(
                        "link session {session_id} has no exchange to run"
                    )))
                }
            };
            if let Next::Done(outcome) = next {
                return Ok(outcome);
            }
        }
    }

    /// A callback just claimed its session: its code (or loginId) is only in memory.
    pub(super) async fn complete_claimed(
        &self,
        session: LinkSession,
        result: CallbackResult,
    ) -> LinkResult<LinkOutcome> {
        let id = session.id;
        self.observer.at(id, ExchangeBoundary::Claimed);
        match result {
            CallbackResult::ProviderError { code } => {
                return self.end_with_error(&session, &code).await
            }
            CallbackResult::FlanksCode { code, .. } => self.save_code(id, &code)?,
            CallbackResult::FlinksLogin {
                login_id,
                institution,
            } => {
                if let Some(i) = institution {
                    ledger::set_session_institution(&self.store, id, &i)?;
                }
                self.save_code(id, &login_id)?;
            }
            CallbackResult::ConnectSession { session_id } => {
                if session.provider_session_id.as_deref() != Some(session_id.as_str()) {
                    return self.end_with_error(&session, "session_mismatch").await;
                }
                // Nothing to save: the provider's session id was stored when the flow started.
                ledger::advance(&self.store, id, step::CLAIMED, step::CODE_SAVED)?;
                self.observer.at(id, ExchangeBoundary::CodeSaved);
            }
        }
        self.run_exchange(id).await
    }

    /// claimed → code_saved. Write-ahead: the code (or loginId) is in the keychain before
    /// anything uses it.
    pub(super) fn save_code(&self, session_id: i64, code: &Secret) -> LinkResult<()> {
        ledger::put_code(&self.store, self.secrets.as_ref(), session_id, code)?;
        ledger::advance(&self.store, session_id, step::CLAIMED, step::CODE_SAVED)?;
        self.observer.at(session_id, ExchangeBoundary::CodeSaved);
        Ok(())
    }

    /// claimed, found again after a crash: the code may or may not have reached the keychain.
    async fn resume_claimed(&self, s: &LinkSession) -> LinkResult<Next> {
        // Connect v2: the provider's session id was stored at start; nothing was only in
        // memory.
        let saved = s.flow == LinkFlow::FlanksConnectV2
            || ledger::saved_code(&self.store, self.secrets.as_ref(), s.id)?.is_some();
        if saved {
            ledger::advance(&self.store, s.id, step::CLAIMED, step::CODE_SAVED)?;
            return Ok(Next::Advanced);
        }
        self.recover_lost(s).await
    }

    /// code_saved → token_saved: obtain the token (exchange the code / look the Connect v2
    /// session up / the loginId itself), then put it in the keychain.
    async fn obtain_token(&self, session: &LinkSession) -> LinkResult<Next> {
        let session_id = session.id;
        let api = self.api(session.flow.provider())?;
        let code = ledger::saved_code(&self.store, self.secrets.as_ref(), session_id)?;
        let token = match session.flow {
            LinkFlow::FlanksLink => {
                let Some(code) = code else {
                    return self.recover_lost(session).await;
                };
                match api.exchange_code(&code).await {
                    Ok(CodeExchange::Exchanged { token, .. }) => token,
                    Ok(CodeExchange::Delayed) => return self.wait_delayed(session).map(Next::Done),
                    Ok(CodeExchange::Spent) => return self.recover_lost(session).await,
                    Err(f) => {
                        // Transient or not, the code stays saved: the poller tries again.
                        self.reschedule(session)?;
                        return Err(LinkError::Provider(f));
                    }
                }
            }
            LinkFlow::FlanksConnectV2 => {
                let psid = session.provider_session_id.clone().unwrap_or_default();
                match api.connect_session(&psid).await {
                    Ok(ConnectSessionState::Finished { token }) => token,
                    Ok(ConnectSessionState::Failed { code }) => {
                        return self.end_with_error(session, &code).await.map(Next::Done)
                    }
                    Ok(ConnectSessionState::InProgress) => {
                        self.reschedule(session)?;
                        return Ok(Next::Done(LinkOutcome::InProgress { session_id }));
                    }
                    Ok(ConnectSessionState::Unknown) => {
                        return self
                            .end_with_error(session, "SESSION_NONEXISTENT")
                            .await
                            .map(Next::Done)
                    }
                    Err(f) => {
                        self.reschedule(session)?;
                        return Err(LinkError::Provider(f));
                    }
                }
            }
            LinkFlow::FlinksConnect => match code {
                Some(login_id) => login_id,
                None => return self.recover_lost(session).await,
            },
        };
        self.observer.at(session_id, ExchangeBoundary::Exchanged);
        self.save_token(session, &token).await
    }

    /// The token goes to the keychain (deterministic name), then its hash to the session.
    async fn save_token(&self, session: &LinkSession, token: &Secret) -> LinkResult<Next> {
        let hash = credentials::token_hash(token);
        if let Some(conn) = session.connection_id {
            // A reauthorization must give back the very same credential.
            if connections::stored_token_hash(&self.store, conn)? != hash {
                let outcome = self.end_with_error(session, "different_login").await;
                ledger::forget_code(&self.store, self.secrets.as_ref(), session.id)?;
                return outcome.map(Next::Done);
            }
        } else {
            credentials::put_token(&self.store, self.secrets.as_ref(), token)?;
        }
        ledger::record_token_saved(
            &self.store,
            session.id,
            step::CODE_SAVED,
            &hash,
            session.institution.as_deref(),
        )?;
        self.observer.at(session.id, ExchangeBoundary::TokenSaved);
        Ok(Next::Advanced)
    }

    /// token_saved → mapped → done: one SQLite transaction maps the connection and completes
    /// the session; then the code entry is deleted and the connection synced.
    async fn map_credential(&self, session: &LinkSession) -> LinkResult<Next> {
        let session_id = session.id;
        let hash = session
            .token_hash
            .clone()
            .ok_or_else(|| LinkError::Invalid("the session has no token recorded".into()))?;
        if let Some(connection_id) = session.connection_id {
            return self
                .finish_reauthorized(session, connection_id)
                .await
                .map(Next::Done);
        }
        let now = time::now();
        if credentials::saved_token(&self.store, self.secrets.as_ref(), &hash)?.is_none() {
            // The keychain lost the token: nothing to map; recover from the provider.
            return self.recover_lost(session).await;
        }
        let mapped = ledger::map_new_connection(
            &self.store,
            session,
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
        let outcome = match mapped {
            Mapped::Created { connection_id } => {
                let status = self.sync_now(connection_id).await?;
                LinkOutcome::Connected {
                    session_id,
                    client_id: session.client_id,
                    connection_id,
                    status,
                }
            }
            Mapped::Exists { client_id, .. } => {
                let name = clients::get(&self.store, client_id).ok().map(|c| c.name);
                LinkOutcome::Duplicate {
                    session_id,
                    wording: for_code("CREDENTIALS_ALREADY_EXIST"),
                    candidates: vec![DuplicateCandidate {
                        credential_ref: hash,
                        bank: session.institution.clone(),
                        mapped_to_client_id: Some(client_id),
                        mapped_to_client_name: name,
                    }],
                }
            }
        };
        Ok(Next::Done(outcome))
    }

    /// A reauthorization ends (the connection keeps its token): the session completes at
    /// `mapped`, the code entry goes, and the connection is synced.
    pub(super) async fn finish_reauthorized(
        &self,
        session: &LinkSession,
        connection_id: i64,
    ) -> LinkResult<LinkOutcome> {
        ledger::finish_session_at_step(
            &self.store,
            session,
            "reauthorized",
            None,
            Some(step::MAPPED),
            SYSTEM,
            time::now(),
        )?;
        self.observer.at(session.id, ExchangeBoundary::Mapped);
        self.cleanup(session.id)?;
        let status = self.sync_now(connection_id).await?;
        Ok(LinkOutcome::Reauthorized {
            session_id: session.id,
            client_id: session.client_id,
            connection_id,
            status,
        })
    }

    /// mapped → done: the code entry is deleted.
    pub(super) fn cleanup(&self, session_id: i64) -> LinkResult<()> {
        ledger::forget_code(&self.store, self.secrets.as_ref(), session_id)?;
        ledger::mark_cleaned(&self.store, session_id)?;
        self.observer.at(session_id, ExchangeBoundary::CleanedUp);
        Ok(())
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
}
