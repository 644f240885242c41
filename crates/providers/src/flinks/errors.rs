//! Flinks error classification from `{HttpStatusCode, Message, FlinksCode}`.

use advisor_desk_core::domain::{FailureKind, ProviderFailure};
use serde_json::Value;

use crate::http::RawResponse;

fn kind_of(code: &str) -> Option<FailureKind> {
    Some(match code {
        "INVALID_LOGIN" => FailureKind::InvalidLogin,
        "DISABLED_LOGIN" => FailureKind::Blocked,
        "INVALID_SECURITY_RESPONSE"
        | "QUESTION_NOT_FOUND"
        | "UNKNOWN_CHALLENGE_KEY"
        | "NEW_ACCOUNT" => FailureKind::MfaRequired,
        "RETRY_LATER" | "AGGREGATION_ERROR" => FailureKind::ProviderUnavailable,
        "DISABLED_INSTITUTION" => FailureKind::BankUnavailable,
        "TOO_MANY_REQUESTS" | "CONCURRENT_SESSION" => FailureKind::RateLimited,
        // The RequestId expired or the card is being processed: a new sync starts over.
        "SESSION_NONEXISTENT"
        | "SESSION_EXPIRED"
        | "CARD_IN_USE"
        | "OPERATION_PENDING"
        | "OPERATION_DISPATCHED" => FailureKind::Pending,
        "UNAUTHORIZED" => FailureKind::Unauthorized,
        "INVALID_REQUEST" => FailureKind::Configuration,
        _ => return None,
    })
}

/// The `FlinksCode` of an answer, if any.
pub fn flinks_code(resp: &RawResponse) -> Option<String> {
    resp.json()?
        .get("FlinksCode")
        .and_then(Value::as_str)
        .map(|s| s.to_ascii_uppercase())
}

pub fn classify(endpoint: &'static str, resp: &RawResponse) -> ProviderFailure {
    let body = resp.json().unwrap_or(Value::Null);
    let code = body
        .get("FlinksCode")
        .and_then(Value::as_str)
        .map(|s| s.to_ascii_uppercase());
    let message = body.get("Message").and_then(Value::as_str);
    let kind = code
        .as_deref()
        .and_then(kind_of)
        .unwrap_or(match resp.status {
            401 | 403 => FailureKind::Unauthorized,
            404 => FailureKind::Removed,
            429 => FailureKind::RateLimited,
            400 | 405 | 409 | 422 => FailureKind::Configuration,
            500..=599 => FailureKind::ProviderUnavailable,
            _ => FailureKind::BadResponse,
        });
    let mut f = ProviderFailure::new(kind)
        .with_status(resp.status)
        .with_endpoint(endpoint);
    if let Some(c) = code {
        f = f.with_code(c);
    }
    if let Some(m) = message {
        f = f.with_message(m);
    }
    if kind == FailureKind::RateLimited {
        f = f.with_retry_at(resp.retry_after.and_then(|d| {
            chrono::Duration::from_std(d)
                .ok()
                .map(|d| chrono::Utc::now() + d)
        }));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::domain::Actor;
    use serde_json::json;

    fn resp(status: u16, body: Value) -> RawResponse {
        RawResponse {
            status,
            body: serde_json::to_vec(&body).unwrap(),
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn flinks_codes_decide_who_acts() {
        let cases = [
            ("INVALID_LOGIN", 401, Actor::Client),
            ("DISABLED_LOGIN", 401, Actor::Client),
            ("INVALID_SECURITY_RESPONSE", 401, Actor::Client),
            ("RETRY_LATER", 401, Actor::Nobody),
            ("TOO_MANY_REQUESTS", 401, Actor::Nobody),
            ("SESSION_NONEXISTENT", 400, Actor::Nobody),
            ("DISABLED_INSTITUTION", 405, Actor::Nobody),
            ("AGGREGATION_ERROR", 500, Actor::Nobody),
            ("UNAUTHORIZED", 401, Actor::Advisor),
            ("INVALID_REQUEST", 400, Actor::Advisor),
        ];
        for (code, status, actor) in cases {
            let f = classify(
                "/Authorize",
                &resp(
                    status,
                    json!({"HttpStatusCode": status, "Message": "m", "FlinksCode": code}),
                ),
            );
            assert_eq!(f.actor(), actor, "{code}");
            assert_eq!(f.provider_code.as_deref(), Some(code));
        }
        assert_eq!(
            classify("/x", &resp(502, json!("bad gateway"))).actor(),
            Actor::Nobody
        );
    }
}
