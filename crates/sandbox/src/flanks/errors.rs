//! Flanks error bodies: legacy v0 `{"error": …}`, the numeric data errors, and the newer
//! Connect v2 `ValidationError` shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::guesses::DATA_ERROR_STATUS;

#[derive(Debug, thiserror::Error)]
pub enum FlanksError {
    #[error("Missing fields: {}", .0.join(", "))]
    MissingFields(Vec<&'static str>),
    #[error("Invalid {0}")]
    Invalid(&'static str),
    #[error("Not authenticated")]
    NotAuthenticated,
    #[error("Invalid credentials")]
    InvalidCredentials,
    #[error("access_denied")]
    AccessDenied,
    #[error("{name} ({code})")]
    Data {
        code: u32,
        name: &'static str,
        message: &'static str,
    },
    /// Connect v2: `(error_type, field)` pairs.
    #[error("ValidationError")]
    Validation(Vec<(&'static str, &'static str)>),
}

impl FlanksError {
    /// A Connect v2 `ValidationError` about one field.
    pub fn validation(error_type: &'static str, field: &'static str) -> Self {
        FlanksError::Validation(vec![(error_type, field)])
    }

    pub fn processing() -> Self {
        FlanksError::Data {
            code: 20002,
            name: "PROCESSING",
            message: "The credentials are still being processed: poll the credentials status",
        }
    }
    pub fn sca_required() -> Self {
        FlanksError::Data {
            code: 50003,
            name: "SCA_REQUIRED",
            message: "The bank requires SCA: reauthorize with an SCA link",
        }
    }
    pub fn bank_error() -> Self {
        FlanksError::Data {
            code: 50001,
            name: "BANK_ERROR",
            message: "The bank answered with an error for this product",
        }
    }
}

impl IntoResponse for FlanksError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            FlanksError::MissingFields(_) | FlanksError::Invalid(_) => {
                (StatusCode::BAD_REQUEST, json!({"error": self.to_string()}))
            }
            FlanksError::NotAuthenticated | FlanksError::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, json!({"error": self.to_string()}))
            }
            FlanksError::AccessDenied => (StatusCode::FORBIDDEN, json!({"error": "access_denied"})),
            FlanksError::Data {
                code,
                name,
                message,
            } => (
                StatusCode::from_u16(DATA_ERROR_STATUS).unwrap_or(StatusCode::BAD_REQUEST),
                json!({"error": name, "code": code, "message": message}),
            ),
            FlanksError::Validation(details) => {
                let details: Vec<Value> = details
                    .iter()
                    .map(|(t, f)| json!({"error_type": t, "field": f}))
                    .collect();
                (
                    StatusCode::BAD_REQUEST,
                    json!({"success": false, "error": {"code": "ValidationError", "details": details},
                           "trace_id": trace_id()}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

fn trace_id() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("sbx-trace-{n:x}")
}

/// Parses a JSON object body and checks the required fields are present and not null.
/// Unparseable bodies report every required field missing (the documented 400 shape).
pub fn object_body(
    bytes: &[u8],
    required: &[&'static str],
) -> Result<Map<String, Value>, FlanksError> {
    let obj = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(o)) => o,
        _ if required.is_empty() && bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
        _ => {
            return Err(FlanksError::MissingFields(if required.is_empty() {
                vec!["body"]
            } else {
                required.to_vec()
            }))
        }
    };
    let missing: Vec<&'static str> = required
        .iter()
        .copied()
        .filter(|f| obj.get(*f).is_none_or(Value::is_null))
        .collect();
    if missing.is_empty() {
        Ok(obj)
    } else {
        Err(FlanksError::MissingFields(missing))
    }
}

pub fn str_field<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, FlanksError> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        None | Some(Value::Null) => Err(FlanksError::MissingFields(vec![name])),
        Some(_) => Err(FlanksError::Invalid(name)),
    }
}
