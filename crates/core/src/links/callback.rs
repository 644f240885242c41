//! Parsing the redirect that ends a provider link flow: `advisordesk://link/callback?…`.
//!
//! Every callback is untrusted input — it may come from the embedded link window, from the OS
//! (any program can open an `advisordesk://` URL) or from a forged e-mail. This module only
//! checks the shape; whether it belongs to an open link session is decided by
//! [`super::sessions`]. Parsing never panics and never allocates more than the bounded input.

use std::collections::BTreeMap;

use crate::secrets::Secret;

pub const CALLBACK_SCHEME: &str = "advisordesk";
pub const CALLBACK_URL: &str = "advisordesk://link/callback";
/// Longer URLs are refused before any parsing.
pub const MAX_CALLBACK_LEN: usize = 4096;
const MAX_PARAMS: usize = 32;
const MAX_EXTRA_VALUE_LEN: usize = 512;

/// What the provider said at the end of the flow.
#[derive(Debug, PartialEq)]
pub enum CallbackResult {
    /// Flanks legacy Link: a one-use code, possibly `delayed` (security checks, ≤ 72 h).
    FlanksCode { code: Secret, delayed: bool },
    /// Flanks Connect v2: the session id to look up.
    ConnectSession { session_id: String },
    /// Flinks Connect: the loginId of the connected login.
    FlinksLogin {
        login_id: Secret,
        institution: Option<String>,
    },
    /// Any provider: the flow ended with an error code (`rollback` redirects, Flinks errors).
    ProviderError { code: String },
}

#[derive(Debug, PartialEq)]
pub struct Callback {
    /// The one-time state value we put in the link, when the provider echoes it back.
    pub state: Option<String>,
    pub result: CallbackResult,
    /// Other parameters (Flanks `rollback` error redirects append the link's extra parameters).
    pub extra: BTreeMap<String, String>,
}

/// Why a callback was refused. The code goes to the audit log; the URL itself never does
/// (it may carry a one-use code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackRejection {
    #[error("the link is longer than {MAX_CALLBACK_LEN} bytes")]
    TooLong,
    #[error("the link is not valid UTF-8")]
    NotUtf8,
    #[error("the link is not an Advisor Desk link")]
    WrongScheme,
    #[error("the link does not point at the connection callback")]
    WrongTarget,
    #[error("the link is malformed: {0}")]
    Malformed(&'static str),
    #[error("the link repeats the parameter {0}")]
    DuplicateParameter(String),
    #[error("the link carries no result from the provider")]
    NoResult,
    #[error("the link carries more than one result")]
    ConflictingResults,
    #[error("the link's state does not match an open connection request")]
    UnknownState,
    #[error("the connection request for this link has expired")]
    Expired,
    #[error("this link was already used")]
    Replayed,
    #[error("no connection request is open for this provider")]
    NoOpenSession,
}

impl CallbackRejection {
    /// A stable code for the audit log and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            CallbackRejection::TooLong => "too_long",
            CallbackRejection::NotUtf8 => "not_utf8",
            CallbackRejection::WrongScheme => "wrong_scheme",
            CallbackRejection::WrongTarget => "wrong_target",
            CallbackRejection::Malformed(_) => "malformed",
            CallbackRejection::DuplicateParameter(_) => "duplicate_parameter",
            CallbackRejection::NoResult => "no_result",
            CallbackRejection::ConflictingResults => "conflicting_results",
            CallbackRejection::UnknownState => "unknown_state",
            CallbackRejection::Expired => "expired",
            CallbackRejection::Replayed => "replayed",
            CallbackRejection::NoOpenSession => "no_open_session",
        }
    }
}

/// Parses a callback URL given as raw bytes (a deep link may carry anything).
pub fn parse_callback(raw: &[u8]) -> Result<Callback, CallbackRejection> {
    if raw.len() > MAX_CALLBACK_LEN {
        return Err(CallbackRejection::TooLong);
    }
    let text = std::str::from_utf8(raw).map_err(|_| CallbackRejection::NotUtf8)?;
    let text = text.trim();
    let (scheme, rest) = text
        .split_once("://")
        .ok_or(CallbackRejection::WrongScheme)?;
    if !scheme.eq_ignore_ascii_case(CALLBACK_SCHEME) {
        return Err(CallbackRejection::WrongScheme);
    }
    // Fragments are never part of a provider redirect; drop one rather than guess.
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (target, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !matches!(target, "link/callback" | "link/callback/") {
        return Err(CallbackRejection::WrongTarget);
    }
    let params = parse_query(query)?;
    classify(params)
}

fn parse_query(query: &str) -> Result<BTreeMap<String, String>, CallbackRejection> {
    let mut params = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if params.len() == MAX_PARAMS {
            return Err(CallbackRejection::Malformed("too many parameters"));
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k)?;
        let value = decode(v)?;
        if key.is_empty() || key.len() > 64 {
            return Err(CallbackRejection::Malformed("bad parameter name"));
        }
        if value.len() > MAX_EXTRA_VALUE_LEN {
            return Err(CallbackRejection::Malformed("parameter value too long"));
        }
        if value.chars().any(char::is_control) || key.chars().any(char::is_control) {
            return Err(CallbackRejection::Malformed("control characters"));
        }
        if params.insert(key.clone(), value).is_some() {
            return Err(CallbackRejection::DuplicateParameter(key));
        }
    }
    Ok(params)
}

/// Percent-decoding (and `+` as space) that refuses bad escapes and non-UTF-8 results.
fn decode(s: &str) -> Result<String, CallbackRejection> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .ok_or(CallbackRejection::Malformed("truncated escape"))?;
                let hi = hex_value(hex[0]).ok_or(CallbackRejection::Malformed("bad escape"))?;
                let lo = hex_value(hex[1]).ok_or(CallbackRejection::Malformed("bad escape"))?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| CallbackRejection::NotUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Tokens, codes and ids: short, and only characters providers use in them.
fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

fn classify(mut p: BTreeMap<String, String>) -> Result<Callback, CallbackRejection> {
    let state = match p.remove("state") {
        Some(s) if super::state::is_well_formed(&s) => Some(s),
        Some(_) => return Err(CallbackRejection::Malformed("state")),
        None => None,
    };
    let code = p.remove("code");
    let delayed = p.remove("delayed");
    let session_id = p.remove("session_id");
    let login_id = p.remove("loginId");
    let institution = p.remove("institution");
    let error = p.remove("error");

    let results = [
        code.is_some(),
        session_id.is_some(),
        login_id.is_some(),
        error.is_some(),
    ];
    match results.iter().filter(|x| **x).count() {
        0 => return Err(CallbackRejection::NoResult),
        1 => {}
        _ => return Err(CallbackRejection::ConflictingResults),
    }
    let result = if let Some(code) = code {
        if !is_token(&code, 256) {
            return Err(CallbackRejection::Malformed("code"));
        }
        let delayed = match delayed.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(CallbackRejection::Malformed("delayed")),
        };
        CallbackResult::FlanksCode {
            code: Secret::new(code),
            delayed,
        }
    } else if let Some(session_id) = session_id {
        if !is_token(&session_id, 128) {
            return Err(CallbackRejection::Malformed("session_id"));
        }
        CallbackResult::ConnectSession { session_id }
    } else if let Some(login_id) = login_id {
        if !is_token(&login_id, 128) {
            return Err(CallbackRejection::Malformed("loginId"));
        }
        let institution = match institution {
            Some(i) if is_token(&i, 64) => Some(i),
            Some(_) => return Err(CallbackRejection::Malformed("institution")),
            None => None,
        };
        CallbackResult::FlinksLogin {
            login_id: Secret::new(login_id),
            institution,
        }
    } else {
        let code = error.unwrap_or_default();
        if code.is_empty()
            || code.len() > 64
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(CallbackRejection::Malformed("error"));
        }
        CallbackResult::ProviderError { code }
    };
    if delayed.is_some() && !matches!(result, CallbackResult::FlanksCode { .. }) {
        return Err(CallbackRejection::Malformed("delayed without a code"));
    }
    Ok(Callback {
        state,
        result,
        extra: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parse(s: &str) -> Result<Callback, CallbackRejection> {
        parse_callback(s.as_bytes())
    }

    #[test]
    fn flanks_code_with_and_without_delay() {
        let cb = parse(&format!(
            "advisordesk://link/callback?code=abc-123&state={STATE}"
        ))
        .unwrap();
        assert_eq!(cb.state.as_deref(), Some(STATE));
        match cb.result {
            CallbackResult::FlanksCode { code, delayed } => {
                assert_eq!(code.expose(), "abc-123");
                assert!(!delayed);
            }
            other => panic!("{other:?}"),
        }
        let cb = parse("advisordesk://link/callback?code=x1&delayed=true").unwrap();
        assert!(matches!(
            cb.result,
            CallbackResult::FlanksCode { delayed: true, .. }
        ));
        assert_eq!(cb.state, None);
    }

    #[test]
    fn flinks_login_connect_session_and_errors() {
        let cb = parse(&format!(
            "advisordesk://link/callback?state={STATE}&loginId=8b35f6c8-e7b6-41d3-98f8-08d68b7f8d31&institution=FlinksCapital"
        ))
        .unwrap();
        assert!(
            matches!(cb.result, CallbackResult::FlinksLogin { institution: Some(ref i), .. } if i == "FlinksCapital")
        );
        // Newer Connect adds the requestId (and OAuth banks their own institution id).
        let cb = parse(&format!(
            "advisordesk://link/callback?state={STATE}&loginId=8b35f6c8&institution=RBC&requestId=4c1d-9e2f"
        ))
        .unwrap();
        assert!(
            matches!(cb.result, CallbackResult::FlinksLogin { institution: Some(ref i), .. } if i == "RBC")
        );
        assert_eq!(
            cb.extra.get("requestId").map(String::as_str),
            Some("4c1d-9e2f")
        );
        let cb = parse("advisordesk://link/callback?session_id=ses_42").unwrap();
        assert_eq!(
            cb.result,
            CallbackResult::ConnectSession {
                session_id: "ses_42".into()
            }
        );
        let cb =
            parse("advisordesk://link/callback?error=INVALID_CREDENTIALS&client_ref=7").unwrap();
        assert_eq!(
            cb.result,
            CallbackResult::ProviderError {
                code: "INVALID_CREDENTIALS".into()
            }
        );
        assert_eq!(cb.extra.get("client_ref").map(String::as_str), Some("7"));
    }

    #[test]
    fn bad_shapes_are_refused_with_their_reason() {
        let long = format!("advisordesk://link/callback?code={}", "a".repeat(5000));
        for (url, code) in [
            ("https://link/callback?code=a", "wrong_scheme"),
            ("advisordesk:link/callback?code=a", "wrong_scheme"),
            ("advisordesk://settings/delete-all?code=a", "wrong_target"),
            ("advisordesk://link/callback", "no_result"),
            (
                "advisordesk://link/callback?code=a&code=b",
                "duplicate_parameter",
            ),
            (
                "advisordesk://link/callback?code=a&loginId=b",
                "conflicting_results",
            ),
            ("advisordesk://link/callback?code=a%2", "malformed"),
            ("advisordesk://link/callback?code=%3Cscript%3E", "malformed"),
            (
                "advisordesk://link/callback?code=a&state=short",
                "malformed",
            ),
            (
                "advisordesk://link/callback?code=a&delayed=maybe",
                "malformed",
            ),
            (
                "advisordesk://link/callback?session_id=a&delayed=true",
                "malformed",
            ),
            ("advisordesk://link/callback?code=a&x=%FF%FE", "not_utf8"),
            ("advisordesk://link/callback?code=a&x=%0A", "malformed"),
            (long.as_str(), "too_long"),
        ] {
            assert_eq!(parse(url).unwrap_err().code(), code, "{url}");
        }
        assert_eq!(
            parse_callback(b"advisordesk://link/callback?code=\xff")
                .unwrap_err()
                .code(),
            "not_utf8"
        );
    }

    #[test]
    fn debug_of_a_parsed_callback_never_shows_the_code() {
        let cb = parse("advisordesk://link/callback?code=one-use-code-123").unwrap();
        assert!(!format!("{cb:?}").contains("one-use-code-123"));
    }
}
