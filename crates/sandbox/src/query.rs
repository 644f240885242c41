//! Query strings of the pages: the link's parameters (interpreted vs extra ones), and
//! redirects that append a query to a URI of any scheme.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

const RESERVED: &[&str] = &[
    "token",
    "bank",
    "sca_token",
    "reset_token",
    "transaction_token",
    "external_id",
    "rollback",
];

/// The login form of the Flanks link page and of the Flinks widget: the page's own query
/// carried along in `q` (see [`LinkParams`]), and the bank login typed in.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

/// The link URL's parameters, split into the ones Flanks interprets and the extra ones.
#[derive(Debug, Clone, Default)]
pub struct LinkParams {
    pub raw: String,
    pub pairs: Vec<(String, String)>,
    pub extra: Vec<(String, String)>,
}

impl LinkParams {
    pub fn parse(raw: &str) -> LinkParams {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).unwrap_or_default();
        let extra = pairs
            .iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .cloned()
            .collect();
        LinkParams {
            raw: raw.to_string(),
            pairs,
            extra,
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn extra_json(&self) -> Map<String, Value> {
        self.extra
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect()
    }

    /// `rollback=true` covers every code; a comma list covers the listed ones.
    pub fn rolls_back(&self, code: &str) -> bool {
        match self.get("rollback") {
            Some("true") => true,
            Some(list) => list.split(',').any(|c| c.trim() == code),
            None => false,
        }
    }

    pub fn with(&self, key: &str, value: &str) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != key)
            .cloned()
            .collect();
        pairs.push((key.to_string(), value.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// Appends query pairs to a redirect URI of any scheme.
pub fn append_query(uri: &str, pairs: &[(String, String)]) -> String {
    let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if q.is_empty() {
        return uri.to_string();
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{q}")
}

pub fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}
