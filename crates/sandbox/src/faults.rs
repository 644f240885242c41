//! Fault injection and call statistics: a middleware in front of every provider route
//! (never the control plane). Rules are matched by path prefix; dice come from the seed.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::rng::Rng;
use crate::server::ConnDrop;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Latency,
    Status,
    RateLimit,
    Timeout,
    Truncated,
    Malformed,
    Drop,
}

/// One rule as posted to `POST /_sandbox/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRule {
    /// Path prefix (`/v0/bank/credentials/account`, `/v3/`) or `*` for everything.
    pub endpoint: String,
    pub kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// Probability that a matching call is hit (default 1.0).
    #[serde(default = "one")]
    pub rate: f64,
    /// Hit at most this many calls, then the rule disappears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

fn one() -> f64 {
    1.0
}

impl FaultRule {
    pub fn new(endpoint: impl Into<String>, kind: FaultKind) -> FaultRule {
        FaultRule {
            endpoint: endpoint.into(),
            kind,
            status: None,
            latency_ms: None,
            retry_after_s: None,
            rate: 1.0,
            count: None,
        }
    }

    /// Checks the values a client sent; the control plane answers 400 with the message.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.rate) {
            return Err("rate must be between 0.0 and 1.0".into());
        }
        if self.endpoint.is_empty() {
            return Err("endpoint must be a path prefix or *".into());
        }
        if self.kind == FaultKind::Status {
            match self.status {
                Some(s) if (400..=599).contains(&s) => {}
                _ => return Err("kind status needs status between 400 and 599".into()),
            }
        }
        Ok(())
    }

    fn matches(&self, path: &str) -> bool {
        self.endpoint == "*" || path.starts_with(&self.endpoint)
    }
}

pub struct FaultTable {
    pub rules: Vec<FaultRule>,
    rng: Rng,
}

/// What the middleware must do with one call.
#[derive(Debug, Default)]
struct Decision {
    latency_ms: u64,
    terminal: Option<FaultRule>,
}

impl FaultTable {
    pub fn new(seed: u64) -> FaultTable {
        FaultTable {
            rules: Vec::new(),
            rng: Rng::derive(seed, "faults", 0),
        }
    }

    fn decide(&mut self, path: &str) -> Decision {
        let mut d = Decision::default();
        for rule in self.rules.iter_mut() {
            if !rule.matches(path) || rule.count == Some(0) {
                continue;
            }
            if rule.rate < 1.0 && !self.rng.chance(rule.rate) {
                continue;
            }
            if let Some(c) = rule.count.as_mut() {
                *c -= 1;
            }
            if rule.kind == FaultKind::Latency {
                d.latency_ms += rule.latency_ms.unwrap_or(500);
            } else {
                d.terminal = Some(rule.clone());
                break;
            }
        }
        self.rules.retain(|r| r.count != Some(0));
        d
    }
}

/// Groups calls per endpoint: ids in paths become `{id}`, the Flinks customer id
/// `{customerId}`.
pub fn endpoint_key(method: &str, path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut prev = "";
    for seg in path.split('/').skip(1) {
        out.push('/');
        let dynamic = matches!(
            prev,
            "GetAccountsDetailAsync" | "GetAccountsSummaryAsync" | "DeleteCard" | "session"
        );
        if prev == "v3" {
            out.push_str("{customerId}");
        } else if dynamic {
            out.push_str("{id}");
        } else {
            out.push_str(seg);
        }
        prev = seg;
    }
    format!("{method} {out}")
}

fn is_flinks(path: &str) -> bool {
    path.starts_with("/v3/")
}

fn error_response(path: &str, status: StatusCode, flinks_code: &str, message: &str) -> Response {
    let body = if is_flinks(path) {
        json!({"HttpStatusCode": status.as_u16(), "Message": message, "FlinksCode": flinks_code})
    } else {
        json!({ "error": message })
    };
    (status, axum::Json(body)).into_response()
}

pub async fn middleware(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sandbox") {
        return next.run(req).await;
    }
    {
        let key = endpoint_key(req.method().as_str(), &path);
        let mut stats = app.stats.lock().unwrap_or_else(|e| e.into_inner());
        *stats.entry(key).or_insert(0) += 1;
    }
    let decision = app
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .decide(&path);
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    let Some(rule) = decision.terminal else {
        return next.run(req).await;
    };
    match rule.kind {
        FaultKind::Latency => next.run(req).await,
        FaultKind::Status => {
            let status = StatusCode::from_u16(rule.status.unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match status.as_u16() {
                500 => "Internal Error",
                502 => "Bad Gateway",
                503 => "Service Unavailable",
                _ => status.canonical_reason().unwrap_or("Error"),
            };
            error_response(&path, status, "AGGREGATION_ERROR", message)
        }
        FaultKind::RateLimit => {
            let mut resp = error_response(
                &path,
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "Too Many Requests",
            );
            let secs = rule.retry_after_s.unwrap_or(30).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        FaultKind::Timeout => {
            // Longer than any sane client timeout; the client gives up first.
            tokio::time::sleep(Duration::from_millis(rule.latency_ms.unwrap_or(60_000))).await;
            error_response(
                &path,
                StatusCode::GATEWAY_TIMEOUT,
                "RETRY_LATER",
                "Gateway Timeout",
            )
        }
        FaultKind::Truncated => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(cut))
        }
        FaultKind::Malformed => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"items\": [{\"_id\": \"x\", \"amount\": 12,5,}",
        )
            .into_response(),
        FaultKind::Drop => {
            if let Some(drop) = req.extensions().get::<ConnDrop>() {
                drop.0.notify_one();
                std::future::pending::<()>().await;
            }
            // Not served by our own connection loop: the closest we can do.
            StatusCode::BAD_GATEWAY.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keys_group_ids() {
        assert_eq!(
            endpoint_key("GET", "/v3/abc/BankingServices/GetAccountsDetailAsync/123"),
            "GET /v3/{customerId}/BankingServices/GetAccountsDetailAsync/{id}"
        );
        assert_eq!(
            endpoint_key("POST", "/v0/bank/credentials/data"),
            "POST /v0/bank/credentials/data"
        );
    }

    #[test]
    fn count_limits_hits_and_rate_zero_never_fires() {
        let mut t = FaultTable::new(1);
        let mut r = FaultRule::new("/v0/", FaultKind::Status);
        r.status = Some(503);
        r.count = Some(2);
        t.rules.push(r);
        let mut never = FaultRule::new("*", FaultKind::Drop);
        never.rate = 0.0;
        t.rules.push(never);
        assert!(t.decide("/v0/token").terminal.is_some());
        assert!(t.decide("/v3/x").terminal.is_none());
        assert!(t.decide("/v0/token").terminal.is_some());
        assert!(t.decide("/v0/token").terminal.is_none());
        assert_eq!(t.rules.len(), 1);
    }
}
