//! Typed helpers for the control plane, so other crates' tests never hand-write its JSON.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::secrets::SecretEntry;
use super::BookEntry;
use crate::faults::FaultRule;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("sandbox control request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("sandbox control plane answered {status}: {body}")]
    Status { status: u16, body: String },
}

/// The state a credential can be forced into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedState {
    PendingSca,
    Blocked,
    Ready,
}

impl ForcedState {
    fn as_str(self) -> &'static str {
        match self {
            ForcedState::PendingSca => "pending_sca",
            ForcedState::Blocked => "blocked",
            ForcedState::Ready => "ready",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SandboxControl {
    base: String,
    http: reqwest::Client,
}

impl SandboxControl {
    pub fn new(base_url: impl Into<String>) -> Self {
        SandboxControl {
            base: base_url.into().trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ControlError> {
        let resp = req.send().await?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(ControlError::Status {
                status: status.as_u16(),
                body,
            });
        }
        Ok(resp.json().await?)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, ControlError> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn reset(&self) -> Result<(), ControlError> {
        self.post("/_sandbox/reset", json!({})).await.map(drop)
    }

    pub async fn advance_clock(&self, seconds: i64) -> Result<(), ControlError> {
        self.post("/_sandbox/clock/advance", json!({ "seconds": seconds }))
            .await
            .map(drop)
    }

    /// Runs the daily refresh; returns how many credentials were updated.
    pub async fn refresh(&self) -> Result<u64, ControlError> {
        let v = self.post("/_sandbox/refresh", json!({})).await?;
        Ok(v["refreshed"].as_u64().unwrap_or(0))
    }

    /// Turns Flinks' nightly refresh on or off (off by default, as it now is for most
    /// institutions).
    pub async fn set_flinks_nightly(&self, enabled: bool) -> Result<(), ControlError> {
        self.post("/_sandbox/flinks/nightly", json!({ "enabled": enabled }))
            .await
            .map(drop)
    }

    /// As if every Flinks client last connected `days` earlier (frozen data, and the reconnect
    /// window counted from then).
    pub async fn backdate_flinks(&self, days: i64) -> Result<(), ControlError> {
        self.post("/_sandbox/flinks/backdate", json!({ "days": days }))
            .await
            .map(drop)
    }

    /// Returns the sca_token / reset_token issued (None for `Ready`).
    pub async fn force(
        &self,
        credentials_token: &str,
        state: ForcedState,
    ) -> Result<Option<String>, ControlError> {
        let v = self
            .post(
                "/_sandbox/credentials/force",
                json!({"credentials_token": credentials_token, "state": state.as_str()}),
            )
            .await?;
        Ok(v["token"].as_str().map(str::to_string))
    }

    /// Sets the form of Flinks Connect's `REDIRECT` event: `fields` (loginId, requestId,
    /// institution; the default) or `url` (the older docs); with `navigate: false` the widget
    /// only posts it, as with `jsRedirect=true`.
    pub async fn flinks_redirect_event(
        &self,
        form: &str,
        navigate: bool,
    ) -> Result<(), ControlError> {
        self.post(
            "/_sandbox/flinks/redirect-event",
            json!({ "form": form, "navigate": navigate }),
        )
        .await
        .map(drop)
    }

    /// Releases one delayed code, or all of them with `None`.
    pub async fn release_codes(&self, code: Option<&str>) -> Result<u64, ControlError> {
        let v = self
            .post("/_sandbox/codes/release", json!({ "code": code }))
            .await?;
        Ok(v["released"].as_u64().unwrap_or(0))
    }

    pub async fn add_fault(&self, rule: &FaultRule) -> Result<(), ControlError> {
        self.send::<Value>(
            self.http
                .post(format!("{}/_sandbox/faults", self.base))
                .json(rule),
        )
        .await
        .map(drop)
    }

    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.send::<Value>(self.http.delete(format!("{}/_sandbox/faults", self.base)))
            .await
            .map(drop)
    }

    /// Calls per endpoint (`"POST /v0/bank/credentials/data"` → n).
    pub async fn stats(&self) -> Result<BTreeMap<String, u64>, ControlError> {
        let v: Value = self
            .send(self.http.get(format!("{}/_sandbox/stats", self.base)))
            .await?;
        Ok(serde_json::from_value(v["calls"].clone()).unwrap_or_default())
    }

    pub async fn book(&self) -> Result<Vec<BookEntry>, ControlError> {
        self.send(self.http.get(format!("{}/_sandbox/book", self.base)))
            .await
    }

    /// Every secret the sandbox accepts or has handed out (`GET /_sandbox/secrets`).
    pub async fn secrets(&self) -> Result<Vec<SecretEntry>, ControlError> {
        self.send(self.http.get(format!("{}/_sandbox/secrets", self.base)))
            .await
    }
}
