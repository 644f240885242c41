//! Flinks answers, by BankingServices name, through `flinks::answers` and `flinks::normalise`.

use advisor_desk_core::domain::{FailureKind, Provider};

use super::{unknown, DecodeError, DecodeReport, Outcome};
use crate::flinks::answers::{self, AuthorizeOutcome};
use crate::flinks::normalise;
use crate::http::RawResponse;

const KNOWN: &[&str] = &[
    "GenerateAuthorizeToken",
    "Authorize",
    "AuthorizeAsync",
    "GetAccountsDetail",
    "GetAccountsDetailAsync",
    "GetAccountsSummary",
    "GetAccountsSummaryAsync",
    "GetNightlyRefreshStatus",
    "SetScheduledRefresh",
    "DeleteCard",
];

const P: Provider = Provider::Flinks;

pub(super) fn decode(endpoint: &str, resp: &RawResponse) -> Result<DecodeReport, DecodeError> {
    let name = endpoint
        .trim()
        .trim_start_matches('/')
        .trim_start_matches("BankingServices/");
    let Some(name) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)).copied() else {
        return Err(unknown(P, endpoint, KNOWN));
    };
    let report = |outcome| DecodeReport::new(P, name, resp.status, outcome);
    let failed = |f| DecodeReport::failed(P, name, resp.status, &f);
    Ok(match name {
        "GenerateAuthorizeToken" => match answers::authorize_token(resp) {
            Ok(_) => {
                let mut r = report(Outcome::Authorized);
                r.field("has_token", true);
                r
            }
            Err(f) => failed(f),
        },
        "Authorize" | "AuthorizeAsync" => {
            let outcome = if name == "Authorize" {
                answers::authorize(resp)
            } else {
                answers::authorize_async(resp)
            };
            match outcome {
                Ok(o) => authorize_report(o, report),
                Err(f) => failed(f),
            }
        }
        "GetAccountsDetail"
        | "GetAccountsDetailAsync"
        | "GetAccountsSummary"
        | "GetAccountsSummaryAsync" => {
            let endpoint = if name.starts_with("GetAccountsDetail") {
                answers::GET_ACCOUNTS_DETAIL
            } else {
                answers::GET_ACCOUNTS_SUMMARY
            };
            match answers::data(endpoint, resp) {
                Ok(v) => {
                    let mut r = report(Outcome::Data);
                    r.optional(
                        "request_id",
                        v.get("RequestId")
                            .and_then(|x| x.as_str())
                            .map(String::from),
                    );
                    r.add_snapshot(normalise(v));
                    r
                }
                // 202 OPERATION_PENDING / DISPATCHED: the sync polls the Async endpoint.
                Err(f) if f.kind == FailureKind::Pending && resp.status == 202 => {
                    let mut r = report(Outcome::Pending);
                    r.optional(
                        "request_id",
                        resp.json().and_then(|v| {
                            v.get("RequestId")
                                .and_then(|x| x.as_str())
                                .map(String::from)
                        }),
                    );
                    r
                }
                Err(f) => failed(f),
            }
        }
        "GetNightlyRefreshStatus" => match answers::nightly_refresh_status(resp) {
            Ok(list) => {
                let mut r = report(Outcome::Data);
                // The loginIds are secrets: only the reasons.
                let reasons: Vec<_> = list.into_iter().map(|e| e.reason).collect();
                r.field(
                    "ineligible",
                    serde_json::to_value(reasons).unwrap_or_default(),
                );
                r
            }
            Err(f) => failed(f),
        },
        "SetScheduledRefresh" => match answers::scheduled_refresh_set(resp) {
            Ok(()) => report(Outcome::Done),
            Err(f) => failed(f),
        },
        _ => match answers::deleted(resp) {
            Ok(()) => report(Outcome::Done),
            Err(f) => failed(f),
        },
    })
}

fn authorize_report(o: AuthorizeOutcome, report: impl Fn(Outcome) -> DecodeReport) -> DecodeReport {
    match o {
        AuthorizeOutcome::Authorized {
            request_id,
            login_id,
            institution,
            last_refresh,
        } => {
            let mut r = report(Outcome::Authorized);
            r.field("request_id", request_id);
            r.field("has_login_id", login_id.is_some());
            r.optional("institution", institution);
            r.optional("last_refresh", last_refresh.map(|t| t.to_rfc3339()));
            r
        }
        AuthorizeOutcome::MfaRequired {
            request_id,
            challenges,
        } => {
            let mut r = report(Outcome::MfaRequired);
            r.field("request_id", request_id);
            let prompts: Vec<_> = challenges
                .into_iter()
                .map(|c| serde_json::json!({"type": c.kind, "prompt": c.prompt}))
                .collect();
            r.field("challenges", prompts);
            r
        }
        AuthorizeOutcome::Pending { request_id } => {
            let mut r = report(Outcome::Pending);
            r.field("request_id", request_id);
            r
        }
    }
}
