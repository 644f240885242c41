//! "Reauthorize" and "Renew now" on a firm connection: the provider is asked what the
//! connection needs with its credentials opened from the firm's book, and the core's rule
//! (`links::reauth_plan`) picks the link; the link session names the connection, so its
//! callback goes through the same claim, exchange and delivery as a new connection's (the
//! result kept in the keychain ledger while the firm database is down) and the mapping
//! updates that connection (`reauthorized.rs`).

use advisor_desk_core::domain::Provider;
use advisor_desk_core::links::reauth_plan::{plan, Reauth, ReauthPlan};
use advisor_desk_core::links::{Delivery, LinkOptions, NewLinkSession, ReauthStart};
use advisor_desk_core::time;

use super::connection::{self, record_consent_renewed};
use super::error::FirmLinkError;
use super::flow::{FirmLinkFlow, ProviderExtras};

impl FirmLinkFlow<'_> {
    /// Starts the link the connection needs (`Reauth::AsNeeded`: "Reauthorize"), or a fresh
    /// SCA / live connection even when healthy (`Reauth::Renew`: "Renew now"), in the window.
    /// A healthy connection answers `AlreadyHealthy` with its stored status: the firm's
    /// refresh, not this desktop, fetches it next.
    pub fn start_reauthorize(
        &self,
        connection_id: i64,
        why: Reauth,
    ) -> Result<ReauthStart, FirmLinkError> {
        let conn = connection::visible(self.store, connection_id)?;
        let token = connection::credentials(self.store, self.keychain, connection_id)?.ok_or_else(
            || {
                FirmLinkError::Invalid(
                    "the connection's credentials are missing from the firm's book: connect it \
                     again"
                        .into(),
                )
            },
        )?;
        let api = self.api(conn.provider)?;
        let need = self
            .runtime
            .block_on(why.ask(api.as_ref(), &token))
            .map_err(FirmLinkError::Provider)?;
        let link = match plan(need, conn.institution_id.as_deref()) {
            ReauthPlan::Healthy => {
                // Flinks answered a live Authorize: a live connection, whatever asked for it.
                if conn.provider == Provider::Flinks {
                    self.store.write_as(|tx| {
                        record_consent_renewed(tx, &conn, self.actor, time::now())
                    })?;
                }
                return Ok(ReauthStart::AlreadyHealthy {
                    connection_id,
                    status: conn.status,
                });
            }
            ReauthPlan::ProviderStillWorking => {
                return Ok(ReauthStart::ProviderStillWorking { connection_id })
            }
            ReauthPlan::Link(link) => link,
        };
        let new = NewLinkSession {
            client_id: conn.client_id,
            connection_id: Some(connection_id),
            flow: link.flow,
            purpose: link.purpose,
            ttl: LinkOptions::default().ttl(Delivery::Window),
            delivery: Delivery::Window,
        };
        let extras = ProviderExtras {
            bank: link.bank.as_deref(),
            reauth_token: link.reauth_token.as_ref(),
            request_id: link.request_id.as_deref(),
        };
        let link = self.start(new, &extras)?;
        Ok(ReauthStart::Started { link })
    }
}
