//! Flinks error bodies: `{HttpStatusCode, Message, FlinksCode}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct FlinksError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl FlinksError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        FlinksError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized(msg: &str) -> Self {
        Self::new(401, "UNAUTHORIZED", msg)
    }
    pub fn invalid_request(msg: &str) -> Self {
        Self::new(400, "INVALID_REQUEST", msg)
    }
    pub fn session_nonexistent() -> Self {
        Self::new(
            400,
            "SESSION_NONEXISTENT",
            "The RequestId does not exist or has expired",
        )
    }
    pub fn invalid_login() -> Self {
        Self::new(
            401,
            "INVALID_LOGIN",
            "The username or password is incorrect",
        )
    }
}

impl IntoResponse for FlinksError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            Json(json!({"HttpStatusCode": self.status, "Message": self.message, "FlinksCode": self.code})),
        )
            .into_response()
    }
}
