//! `GET /_sandbox/secrets`: every secret value this sandbox accepts or has handed out, so a
//! test can look for them where they must never be (the app's files, logs and IPC).
//!
//! Short-lived values (access tokens, one-use authorize tokens, SCA tokens) disappear from the
//! world once they expire or are used; the world keeps a ledger of each one as it is issued.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::{FLANKS_CLIENT_SECRET, FLINKS_API_KEY, FLINKS_SECRET_KEY};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// The Flanks client secret, the Flinks auth key and API key.
    ApiSecret,
    /// Flanks `POST /v0/token` bearer tokens.
    AccessToken,
    /// Flinks GenerateAuthorizeToken tokens (one use).
    AuthorizeToken,
    /// Flanks `credentials_token` (also Connect v2's connection id).
    CredentialsToken,
    /// Flinks `loginId`.
    LoginId,
    /// Flanks link codes (one use, exchanged for a credentials_token).
    LinkCode,
    /// Flanks `sca_token` / `reset_token` / `transaction_token` of a reauthorisation.
    ReauthToken,
}

/// One entry of the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretEntry {
    pub kind: SecretKind,
    pub value: String,
    /// Handed out by this sandbox since it started (or was reset); false for the compiled-in
    /// API secrets and the seeded book's tokens.
    pub issued: bool,
}

pub async fn list(State(app): State<Arc<AppState>>) -> Response {
    Json(listing(&app)).into_response()
}

fn listing(app: &AppState) -> Vec<SecretEntry> {
    let world = app.world();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |kind, value: &str, issued| {
        if !value.is_empty() && seen.insert((kind, value.to_string())) {
            out.push(SecretEntry {
                kind,
                value: value.to_string(),
                issued,
            });
        }
    };
    for (kind, value) in &world.issued {
        push(*kind, value, true);
    }
    for s in [FLANKS_CLIENT_SECRET, FLINKS_SECRET_KEY, FLINKS_API_KEY] {
        push(SecretKind::ApiSecret, s, false);
    }
    for c in &world.creds {
        push(SecretKind::CredentialsToken, &c.data.token, false);
        for t in [&c.sca_token, &c.reset_token, &c.transaction_token]
            .into_iter()
            .flatten()
        {
            push(SecretKind::ReauthToken, t, false);
        }
    }
    for l in &world.flinks {
        push(SecretKind::LoginId, &l.data.login_id, false);
    }
    for c in &world.codes {
        push(SecretKind::LinkCode, &c.code, false);
    }
    for t in world.access_tokens.keys() {
        push(SecretKind::AccessToken, t, false);
    }
    for t in world.authorize_tokens.keys() {
        push(SecretKind::AuthorizeToken, t, false);
    }
    out
}
