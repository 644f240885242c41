//! Flanks error classification: HTTP status, the legacy `{"error": "..."}` body, the numeric
//! data-error codes (20001 …) and the newer `{success:false, error:{code}}` shape.

use advisor_desk_core::domain::{FailureKind, ProviderFailure};
use serde_json::Value;

use crate::http::RawResponse;

/// Numeric codes of data error bodies (providers.md).
fn data_code(code: i64) -> Option<(FailureKind, &'static str)> {
    Some(match code {
        20001 => (FailureKind::Pending, "INCOMPLETE"),
        20002 => (FailureKind::Pending, "PROCESSING"),
        20003 => (FailureKind::ScaRequired, "SCA_ERROR"),
        40001 => (FailureKind::Configuration, "CONFIGURATION_ERROR"),
        50001 => (FailureKind::BankUnavailable, "BANK_ERROR"),
        50002 => (FailureKind::Blocked, "CREDENTIALS_ERROR"),
        50003 => (FailureKind::ScaRequired, "SCA_REQUIRED"),
        _ => return None,
    })
}

fn named_code(name: &str) -> Option<FailureKind> {
    Some(match name.to_ascii_uppercase().as_str() {
        "INCOMPLETE" | "PROCESSING" => FailureKind::Pending,
        "SCA_ERROR" | "SCA_REQUIRED" => FailureKind::ScaRequired,
        "CONFIGURATION_ERROR" | "VALIDATIONERROR" => FailureKind::Configuration,
        "BANK_ERROR" => FailureKind::BankUnavailable,
        "CREDENTIALS_ERROR" => FailureKind::Blocked,
        _ => return None,
    })
}

/// Finds a numeric or named code wherever the body puts it.
fn find_code(body: &Value) -> Option<Value> {
    for key in ["code", "error_code", "errorCode", "status_code"] {
        if let Some(v) = body.get(key) {
            return Some(v.clone());
        }
    }
    match body.get("error") {
        Some(Value::Object(o)) => o.get("code").cloned(),
        Some(Value::Number(n)) => Some(Value::Number(n.clone())),
        _ => None,
    }
}

fn find_message(body: &Value) -> Option<String> {
    for key in ["error", "message", "detail", "error_message"] {
        match body.get(key) {
            Some(Value::String(s)) => return Some(s.clone()),
            Some(Value::Object(o)) => {
                if let Some(Value::String(s)) = o.get("message").or_else(|| o.get("code")) {
                    return Some(s.clone());
                }
            }
            _ => {}
        }
    }
    None
}

/// Classifies a non-success answer (or a success answer that carries an error body).
pub fn classify(endpoint: &'static str, resp: &RawResponse) -> ProviderFailure {
    let body = resp.json().unwrap_or(Value::Null);
    let message = find_message(&body);
    let code = find_code(&body);
    let base = |kind: FailureKind| {
        let mut f = ProviderFailure::new(kind)
            .with_status(resp.status)
            .with_endpoint(endpoint);
        if let Some(m) = &message {
            f = f.with_message(m.clone());
        }
        f
    };
    // A data error code decides, whatever the HTTP status.
    match &code {
        Some(Value::Number(n)) => {
            if let Some((kind, name)) = n.as_i64().and_then(data_code) {
                return base(kind).with_code(format!("{n} {name}"));
            }
        }
        Some(Value::String(s)) => {
            if let Ok(n) = s.parse::<i64>() {
                if let Some((kind, name)) = data_code(n) {
                    return base(kind).with_code(format!("{n} {name}"));
                }
            }
            if let Some(kind) = named_code(s) {
                return base(kind).with_code(s.clone());
            }
        }
        _ => {}
    }
    let code_text = code.as_ref().map(|c| match c {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let with_code = |f: ProviderFailure| match &code_text {
        Some(c) => f.with_code(c.clone()),
        None => f,
    };
    let mentions_token = message
        .as_deref()
        .is_some_and(|m| m.to_ascii_lowercase().contains("credentials_token"));
    with_code(match resp.status {
        401 | 403 => base(FailureKind::Unauthorized),
        // Unknown credential; a 404 on a wrong path is a configuration problem instead.
        400 | 404 if mentions_token => base(FailureKind::Removed),
        429 => base(FailureKind::RateLimited).with_retry_at(resp.retry_after.and_then(|d| {
            chrono::Duration::from_std(d)
                .ok()
                .map(|d| chrono::Utc::now() + d)
        })),
        400 | 404 | 405 | 409 | 422 => base(FailureKind::Configuration),
        500..=599 => base(FailureKind::ProviderUnavailable),
        _ => base(FailureKind::BadResponse),
    })
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
            retry_after: Some(std::time::Duration::from_secs(5)),
        }
    }

    #[test]
    fn data_codes_decide_who_acts() {
        let cases = [
            (
                json!({"code": 20002, "message": "PROCESSING"}),
                FailureKind::Pending,
            ),
            (json!({"error": {"code": 50003}}), FailureKind::ScaRequired),
            (json!({"code": "50002"}), FailureKind::Blocked),
            (json!({"error_code": 50001}), FailureKind::BankUnavailable),
            (json!({"code": 40001}), FailureKind::Configuration),
        ];
        for (body, kind) in cases {
            let f = classify("/v0/bank/credentials/account", &resp(400, body.clone()));
            assert_eq!(f.kind, kind, "{body}");
        }
        let f = classify("/x", &resp(400, json!({"code": 50003})));
        assert_eq!(f.actor(), Actor::Client);
        assert_eq!(f.provider_code.as_deref(), Some("50003 SCA_REQUIRED"));
    }

    #[test]
    fn http_statuses_and_legacy_bodies() {
        let f = classify("/v0/token", &resp(403, json!({"error": "access_denied"})));
        assert_eq!(
            (f.kind, f.actor()),
            (FailureKind::Unauthorized, Actor::Advisor)
        );
        assert_eq!(f.provider_message.as_deref(), Some("access_denied"));
        let f = classify("/x", &resp(429, json!({})));
        assert_eq!(f.kind, FailureKind::RateLimited);
        assert!(f.retry_at.is_some());
        let f = classify("/x", &resp(500, json!({"error": "Internal Error"})));
        assert_eq!(f.actor(), Actor::Nobody);
        let f = classify(
            "/x",
            &resp(400, json!({"error": "Invalid credentials_token"})),
        );
        assert_eq!(f.kind, FailureKind::Removed);
        let f = classify(
            "/connect/v2/sessions/list-sessions",
            &resp(
                400,
                json!({"success": false, "error": {"code": "ValidationError", "details": []}, "trace_id": "t"}),
            ),
        );
        assert_eq!(f.kind, FailureKind::Configuration);
    }
}
