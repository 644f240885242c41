//! Links sent to clients who are not in the room: "Send link" on a connection that needs its
//! client, the same for many connections at once (one message per client listing each of
//! their banks), and "Renew now" with the client present.
//!
//! A sent link is an ordinary reauthorization link session (one-time state, claimed once,
//! open until it expires) with the "Send link" lifetime; the poller
//! ([`LinkService::poll_open_sessions`]) finds the completion (Flanks: the credential's
//! status; an unused code) and re-syncs; an expired one is ended, and can be sent again.

use std::collections::BTreeMap;

use serde::Serialize;

use super::message::{compose, ClientMessage, MessageLink, Recipient};
use super::reauth_plan::Reauth;
use super::service::LinkService;
use super::sessions::Delivery;
use super::types::{LinkError, LinkResult, LinkStart, ReauthStart};
use crate::clients;
use crate::reads::client::institution_label;
use crate::settings::{self, ADVISOR_NAME_SETTING};
use crate::sync::connections;
use crate::time;

/// At most this many connections in one batch send.
pub const MAX_BATCH: usize = 500;

/// A connection no link was made for, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct NotSent {
    pub connection_id: i64,
    pub client_name: String,
    pub institution: String,
    /// `already_healthy` (it was re-synced), `provider_still_working`, or an error code.
    pub code: String,
    pub message: String,
}

/// What a (batch) send produced: one ready message per client, and what was left out.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct SentLinks {
    pub messages: Vec<ClientMessage>,
    pub not_sent: Vec<NotSent>,
}

impl LinkService {
    /// "Renew now", with the client present: a link for the embedded window that renews the
    /// bank's consent before it lapses (Flanks SCA asked for with `force: "sca"`; Flinks a
    /// live connection, MFA through Connect when the bank asks).
    pub async fn renew_consent(&self, connection_id: i64) -> LinkResult<ReauthStart> {
        self.reauthorize(connection_id, Delivery::Window, Reauth::Renew)
            .await
    }

    /// "Send link" for each connection: the link it needs with the sent-link lifetime, and one
    /// message per client (in the client's language) listing each of their banks. A
    /// connection that needs nothing, or that fails, is reported in `not_sent`; the others
    /// are still sent.
    pub async fn send_reauthorization_links(
        &self,
        connection_ids: &[i64],
    ) -> LinkResult<SentLinks> {
        let mut ids = connection_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(LinkError::Invalid(format!(
                "choose between 1 and {MAX_BATCH} connections"
            )));
        }
        let mut by_client: BTreeMap<i64, Vec<MessageLink>> = BTreeMap::new();
        let mut not_sent = Vec::new();
        for id in ids {
            let conn = connections::get(&self.store, id)?;
            let institution = institution_label(&conn);
            let client_name = clients::get(&self.store, conn.client_id)?.name;
            let skipped = |code: &str, message: String| NotSent {
                connection_id: id,
                client_name: client_name.clone(),
                institution: institution.clone(),
                code: code.to_string(),
                message,
            };
            match self.reauthorize(id, Delivery::Sent, Reauth::AsNeeded).await {
                Ok(ReauthStart::Started { link }) => {
                    by_client
                        .entry(conn.client_id)
                        .or_default()
                        .push(message_link(id, institution, link)?);
                }
                Ok(ReauthStart::AlreadyHealthy { .. }) => not_sent.push(skipped(
                    "already_healthy",
                    "the bank needs nothing from the client; the connection was updated".into(),
                )),
                Ok(ReauthStart::ProviderStillWorking { .. }) => not_sent.push(skipped(
                    "provider_still_working",
                    "the provider is still collecting the first data".into(),
                )),
                Err(e) => not_sent.push(skipped(&e.code(), e.to_string())),
            }
        }
        let advisor = settings::get(&self.store, ADVISOR_NAME_SETTING)?;
        let mut messages = Vec::new();
        for (client_id, links) in by_client {
            let client = clients::get(&self.store, client_id)?;
            messages.push(compose(
                &Recipient {
                    client_id,
                    name: &client.name,
                    email: client.email.as_deref(),
                    language: client.language,
                    advisor: advisor.as_deref(),
                },
                links,
            ));
        }
        Ok(SentLinks { messages, not_sent })
    }
}

fn message_link(
    connection_id: i64,
    institution: String,
    link: LinkStart,
) -> LinkResult<MessageLink> {
    let expires_at = time::from_db(&link.expires_at)
        .ok_or_else(|| LinkError::Invalid("a link session without an expiry".into()))?;
    Ok(MessageLink {
        connection_id,
        institution,
        purpose: link.purpose,
        url: link.url,
        expires_at,
    })
}
