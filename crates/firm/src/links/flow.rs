//! The app's link flow on the firm's book: "Connect account" for a firm client, the redirect
//! that ends it, and the window closed or the widget's error event. The same steps as the solo
//! `LinkService`, with the firm database in the place of the solo book:
//!
//! ```text
//! start_connect   firm link_sessions row (state hash only) → the provider's link URL
//! handle_callback parse → claim on the firm (once; refusals audited, the solo codes)
//!                 → the code exchanged with the provider by this desktop
//!                 → deliver: keychain ledger first, the firm database second
//! ```
//!
//! A token obtained while the firm database is down is not lost: `deliver` keeps it in the
//! keychain and the outcome says so ([`LinkOutcome::KeptForFirm`]); `apply_pending` maps it
//! when the database is back. Calls are blocking (the firm store is synchronous); the
//! provider's async calls run on the `runtime` handed in, so call this from a blocking thread.

use std::sync::Arc;

use advisor_desk_core::domain::{ConnectionStatus, Provider};
use advisor_desk_core::firm::{FirmId, PendingLink};
use advisor_desk_core::links::{client_link_ref, wording::for_code};
use advisor_desk_core::links::{
    parse_callback, session_ref, CallbackRejection, CallbackResult, CallbackSource, CodeExchange,
    ConnectSessionState, Delivery, LinkFlow, LinkOptions, LinkOutcome, LinkProviderApi,
    LinkPurpose, LinkRequest, LinkSession, LinkStart, NewLinkSession, Wording,
};
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_core::time;
use tokio::runtime::Handle;

use super::error::FirmLinkError;
use super::mapping::Mapped;
use super::pending::{deliver, Delivered};
use super::reauthorized::DIFFERENT_LOGIN;
use super::sessions::{self, audit_refused, claim_callback};
use super::statements::{read, write};
use crate::queries::clients;
use crate::FirmStore;

/// The outcome of a delayed Flanks code in firm mode: no firm poller checks it again yet.
pub const DELAYED_CODE: &str = "firm_code_delayed";

/// What a link request carries beyond the session: a reauthorization's bank, the provider's
/// SCA or reset token, Flinks' MFA request (all `None` for a new connection).
#[derive(Default)]
pub(super) struct ProviderExtras<'a> {
    pub bank: Option<&'a str>,
    pub reauth_token: Option<&'a Secret>,
    pub request_id: Option<&'a str>,
}

/// One desktop's link flow on the firm's book, as one member.
pub struct FirmLinkFlow<'a> {
    pub store: &'a FirmStore,
    /// This desktop's keychain: the firm key (to seal) and the ledger of kept results.
    pub keychain: &'a dyn SecretStore,
    pub firm: &'a FirmId,
    /// Who acts, as the firm's audit log names them (the member's role).
    pub actor: &'a str,
    pub providers: &'a [Arc<dyn LinkProviderApi>],
    /// Where the providers' async calls run.
    pub runtime: &'a Handle,
}

impl FirmLinkFlow<'_> {
    /// "Connect account" for a firm client the member serves: a session on the firm database
    /// and the provider's page for the link window. A provider that refuses to make the link
    /// ends the session `start_failed`.
    pub fn start_connect(
        &self,
        client_id: i64,
        flow: LinkFlow,
    ) -> Result<LinkStart, FirmLinkError> {
        self.start(
            NewLinkSession {
                client_id,
                connection_id: None,
                flow,
                purpose: LinkPurpose::New,
                ttl: LinkOptions::default().ttl(Delivery::Window),
                delivery: Delivery::Window,
            },
            &ProviderExtras::default(),
        )
    }

    /// A session for `new` and its provider page; `extras` are a reauthorization's (the bank,
    /// the provider's SCA or reset token, Flinks' MFA request).
    pub(super) fn start(
        &self,
        new: NewLinkSession,
        extras: &ProviderExtras<'_>,
    ) -> Result<LinkStart, FirmLinkError> {
        let (client_id, flow, purpose) = (new.client_id, new.flow, new.purpose);
        let api = self.api(flow.provider())?;
        let started = sessions::start(self.store, &new, self.actor, time::now())?;
        let session_id = started.session.id;
        let client_name = self
            .store
            .read(|db| clients::read::by_id(db, client_id))?
            .map(|c| c.name)
            .unwrap_or_default();
        // The firm id in the place of the solo installation's: references name this firm.
        let sref = session_ref(self.firm.as_str(), session_id);
        let cref = client_link_ref(self.firm.as_str(), session_id, client_id, &client_name);
        let target = self.runtime.block_on(api.link_url(&LinkRequest {
            flow,
            purpose,
            state: &started.state,
            session_ref: &sref,
            client_ref: &cref,
            bank: extras.bank,
            reauth_token: extras.reauth_token,
            request_id: extras.request_id,
        }));
        let target = match target {
            Ok(target) => target,
            Err(failure) => {
                let detail = failure.to_string();
                sessions::finish(
                    self.store,
                    session_id,
                    "start_failed",
                    Some(&detail),
                    self.actor,
                    time::now(),
                )?;
                return Err(FirmLinkError::Provider(failure));
            }
        };
        self.store.write_as(|tx| {
            if let Some(psid) = &target.provider_session_id {
                write::set_provider_session(tx, session_id, psid)?;
            }
            if let Some(bank) = extras.bank {
                write::set_institution(tx, session_id, bank)?;
            }
            Ok::<_, FirmLinkError>(())
        })?;
        Ok(LinkStart {
            session_id,
            url: target.url,
            expires_at: started.session.expires_at,
            flow,
            purpose,
        })
    }

    /// The one handler for a redirect caught in the link window (`window_session`) or
    /// delivered by the OS (`None`). A refusal is audited on the firm and answered
    /// [`LinkOutcome::Refused`] with the solo codes; nothing else happens for it.
    pub fn handle_callback(
        &self,
        raw: &[u8],
        window_session: Option<i64>,
        source: CallbackSource,
    ) -> Result<LinkOutcome, FirmLinkError> {
        let cb = match parse_callback(raw) {
            Ok(cb) => cb,
            Err(rejection) => {
                self.store
                    .write_as(|tx| audit_refused(tx, &rejection, source))?;
                return Ok(refused(&rejection));
            }
        };
        let session = match claim_callback(self.store, &cb, window_session, source, time::now()) {
            Ok(session) => session,
            Err(FirmLinkError::Refused(rejection)) => return Ok(refused(&rejection)),
            Err(e) => return Err(e),
        };
        self.complete_claimed(&session, cb.result)
    }

    /// The claimed session's result: the provider's error, or a token to deliver.
    fn complete_claimed(
        &self,
        session: &LinkSession,
        result: CallbackResult,
    ) -> Result<LinkOutcome, FirmLinkError> {
        let api = self.api(session.flow.provider())?;
        let (token, institution) = match result {
            CallbackResult::ProviderError { code } => return self.end_with_error(session, &code),
            CallbackResult::FlinksLogin {
                login_id,
                institution,
            } => (login_id, institution),
            CallbackResult::FlanksCode { code, .. } => {
                match self.runtime.block_on(api.exchange_code(&code)) {
                    Ok(CodeExchange::Exchanged { token, .. }) => (token, None),
                    Ok(CodeExchange::Delayed) => return self.end_with_error(session, DELAYED_CODE),
                    Ok(CodeExchange::Spent) => return self.end_with_error(session, "code_spent"),
                    Err(failure) => return self.end_with_failure(session, failure),
                }
            }
            CallbackResult::ConnectSession { session_id } => {
                if session.provider_session_id.as_deref() != Some(session_id.as_str()) {
                    return self.end_with_error(session, "session_mismatch");
                }
                match self.runtime.block_on(api.connect_session(&session_id)) {
                    Ok(ConnectSessionState::Finished { token }) => (token, None),
                    Ok(ConnectSessionState::Failed { code }) => {
                        return self.end_with_error(session, &code)
                    }
                    Ok(ConnectSessionState::InProgress) => {
                        return self.end_with_error(session, "in_progress_unchecked")
                    }
                    Ok(ConnectSessionState::Unknown) => {
                        return self.end_with_error(session, "SESSION_NONEXISTENT")
                    }
                    Err(failure) => return self.end_with_failure(session, failure),
                }
            }
        };
        self.deliver_token(session, token, institution.or(session.institution.clone()))
    }

    /// The token the exchange obtained: into the keychain ledger, then the firm's book.
    fn deliver_token(
        &self,
        session: &LinkSession,
        token: Secret,
        institution: Option<String>,
    ) -> Result<LinkOutcome, FirmLinkError> {
        let link = PendingLink {
            session_id: session.id,
            client_id: session.client_id,
            provider: session.flow.provider(),
            token,
            institution,
            obtained_at: time::now(),
        };
        let delivered = deliver(self.store, self.keychain, self.firm, link, self.actor)?;
        Ok(outcome_of(session, delivered, |id| self.stored_status(id)))
    }

    /// The connection's status as stored (the firm's refresh fetches it next); one that
    /// cannot be read now is reported as pending.
    fn stored_status(&self, connection_id: i64) -> ConnectionStatus {
        super::connection::visible(self.store, connection_id)
            .map(|c| c.status)
            .unwrap_or(ConnectionStatus::Pending)
    }

    /// The advisor closed the link window before a result arrived: the session ends
    /// `closed_by_user` (nothing when a result already claimed it).
    pub fn window_closed(&self, session_id: i64) -> Result<Option<LinkOutcome>, FirmLinkError> {
        let Some(session) = self.unclaimed(session_id)? else {
            return Ok(None);
        };
        sessions::finish(
            self.store,
            session.id,
            "closed_by_user",
            None,
            self.actor,
            time::now(),
        )?;
        Ok(Some(LinkOutcome::Closed { session_id }))
    }

    /// A Flinks widget error event seen in the link window: the session ends with the
    /// provider's code and wording (nothing when a result already claimed it).
    pub fn report_provider_event(
        &self,
        session_id: i64,
        code: &str,
    ) -> Result<Option<LinkOutcome>, FirmLinkError> {
        let plausible = !code.is_empty()
            && code.len() <= 64
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plausible {
            return Err(FirmLinkError::Invalid("not a provider event code".into()));
        }
        match self.unclaimed(session_id)? {
            Some(session) => self.end_with_error(&session, code).map(Some),
            None => Ok(None),
        }
    }

    /// The session while it is open and no callback claimed it.
    fn unclaimed(&self, session_id: i64) -> Result<Option<LinkSession>, FirmLinkError> {
        let session = self
            .store
            .read(|db| Ok(read::by_id(db, session_id)))??
            .ok_or(FirmLinkError::SessionNotFound(session_id))?;
        let open = session.completed_at.is_none() && session.exchange_step.is_none();
        Ok(open.then_some(session))
    }

    /// Ends the session with the provider's code and its wording.
    fn end_with_error(
        &self,
        session: &LinkSession,
        code: &str,
    ) -> Result<LinkOutcome, FirmLinkError> {
        let wording = wording_for(code);
        sessions::finish(
            self.store,
            session.id,
            code,
            Some(&wording.message),
            self.actor,
            time::now(),
        )?;
        Ok(LinkOutcome::ProviderError {
            session_id: session.id,
            code: code.to_string(),
            wording,
        })
    }

    /// The provider failed the exchange: the session ends (no firm poller retries it yet) and
    /// the failure is returned.
    fn end_with_failure(
        &self,
        session: &LinkSession,
        failure: advisor_desk_core::domain::ProviderFailure,
    ) -> Result<LinkOutcome, FirmLinkError> {
        let detail = failure.to_string();
        sessions::finish(
            self.store,
            session.id,
            "exchange_failed",
            Some(&detail),
            self.actor,
            time::now(),
        )?;
        Err(FirmLinkError::Provider(failure))
    }

    pub(super) fn api(
        &self,
        provider: Provider,
    ) -> Result<Arc<dyn LinkProviderApi>, FirmLinkError> {
        self.providers
            .iter()
            .find(|p| p.provider() == provider)
            .cloned()
            .ok_or(FirmLinkError::NotConfigured(provider.as_str()))
    }
}

/// The solo wording, with the firm's own codes said plainly.
fn wording_for(code: &str) -> Wording {
    match code {
        DELAYED_CODE => Wording {
            message: "The bank is still checking this connection, and a firm's book cannot \
                      wait for it yet."
                .into(),
            next_step: "Connect the account again later.".into(),
        },
        "in_progress_unchecked" => Wording {
            message: "The client had not finished at the provider when the window closed.".into(),
            next_step: "Connect the account again when the client is ready.".into(),
        },
        _ => for_code(code),
    }
}

fn refused(rejection: &CallbackRejection) -> LinkOutcome {
    LinkOutcome::Refused {
        reason: rejection.code().to_string(),
        message: rejection.to_string(),
    }
}

/// What the window is told about a delivered result; `status` reads a reauthorized
/// connection's.
fn outcome_of(
    session: &LinkSession,
    delivered: Delivered,
    status: impl FnOnce(i64) -> ConnectionStatus,
) -> LinkOutcome {
    let connected = |connection_id| LinkOutcome::Connected {
        session_id: session.id,
        client_id: session.client_id,
        connection_id,
        // The firm's refresh fetches it; until then the provider's first extraction is due.
        status: ConnectionStatus::Pending,
    };
    match delivered {
        Delivered::Mapped(Mapped::Created { connection_id }) => connected(connection_id),
        Delivered::Mapped(Mapped::AlreadyMapped {
            connection_id: Some(connection_id),
        }) => connected(connection_id),
        Delivered::Mapped(Mapped::Exists { .. } | Mapped::AlreadyMapped { .. }) => {
            LinkOutcome::Duplicate {
                session_id: session.id,
                wording: for_code("CREDENTIALS_ALREADY_EXIST"),
                // Mapping another connection is not available in a firm's book yet.
                candidates: Vec::new(),
            }
        }
        Delivered::Mapped(Mapped::Reauthorized { connection_id }) => LinkOutcome::Reauthorized {
            session_id: session.id,
            client_id: session.client_id,
            connection_id,
            status: status(connection_id),
        },
        Delivered::Mapped(Mapped::DifferentLogin { .. }) => LinkOutcome::ProviderError {
            session_id: session.id,
            code: DIFFERENT_LOGIN.to_string(),
            wording: for_code(DIFFERENT_LOGIN),
        },
        Delivered::Waiting { .. } => LinkOutcome::KeptForFirm {
            session_id: session.id,
            client_id: session.client_id,
        },
    }
}
