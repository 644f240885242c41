//! Flanks answers, by the endpoint's documented name, through `flanks::answers` and
//! `flanks::normalise`.

use advisor_desk_core::domain::{Provider, RemoteState};

use super::{unknown, DecodeError, DecodeReport, Outcome};
use crate::flanks::answers::{self, ExchangeOutcome};
use crate::flanks::{normalise, FlanksRaw};
use crate::http::RawResponse;

const KNOWN: &[&str] = &[
    "token",
    "platform/link",
    "bank/available",
    "bank/credentials/status",
    "bank/credentials/list",
    "bank/credentials/account",
    "bank/credentials/data",
    "bank/credentials/portfolio",
    "bank/credentials/investment",
    "bank/credentials/liability",
    "bank/credentials/card",
    "bank/credentials",
    "connectors/list-connectors",
    "sessions/create-session",
    "sessions/list-sessions",
];

const P: Provider = Provider::Flanks;

pub(super) fn decode(endpoint: &str, resp: &RawResponse) -> Result<DecodeReport, DecodeError> {
    let name = endpoint
        .trim()
        .trim_start_matches('/')
        .trim_start_matches("v0/")
        .trim_start_matches("connect/v2/");
    let report = |outcome| DecodeReport::new(P, name, resp.status, outcome);
    let failed = |f| DecodeReport::failed(P, name, resp.status, &f);
    Ok(match name {
        "token" => match answers::token(resp) {
            Ok((_, lifetime)) => {
                let mut r = report(Outcome::Authorized);
                r.field("expires_in", lifetime.as_secs());
                r
            }
            Err(f) => failed(f),
        },
        "platform/link" => platform_link(resp, report, failed),
        "bank/available" => match answers::banks(resp) {
            Ok(banks) => {
                let mut r = report(Outcome::Data);
                r.field("banks", serde_json::to_value(banks).unwrap_or_default());
                r
            }
            Err(f) => failed(f),
        },
        "bank/credentials/status" => match answers::credential_status(resp) {
            Ok(s) => {
                let mut r = report(match s.remote_state() {
                    RemoteState::Ready => Outcome::Ready,
                    RemoteState::Pending => Outcome::Pending,
                    RemoteState::PendingSca => Outcome::MfaRequired,
                    RemoteState::Blocked => Outcome::Blocked,
                });
                r.optional("last_update", s.last_update.map(|t| t.to_rfc3339()));
                r.optional("created_at", s.created_at.map(|t| t.to_rfc3339()));
                r.optional(
                    "last_transaction_date",
                    s.last_transaction_date.map(|d| d.to_string()),
                );
                r.optional("bank", s.bank.clone());
                r.field("errored_products", s.errored_products.clone());
                r.field("has_sca_token", s.sca_token.is_some());
                r.field("has_reset_token", s.reset_token.is_some());
                r
            }
            Err(f) => failed(f),
        },
        "bank/credentials/list" => match answers::credentials_page(resp, 1) {
            Ok(p) => {
                let mut r = report(Outcome::Data);
                r.field("credentials", p.items.len());
                r.field("page", p.page);
                r.field("pages", p.pages);
                let mut notes = advisor_desk_core::domain::DecodeNotes::default();
                notes.skip_many("flanks credential", "no credentials_token", p.skipped);
                r.add_notes(notes);
                r
            }
            Err(f) => failed(f),
        },
        "bank/credentials" => match answers::deleted(resp) {
            Ok(()) => report(Outcome::Done),
            Err(f) => failed(f),
        },
        "connectors/list-connectors" => match answers::connectors(resp) {
            Ok(p) => {
                let mut r = report(Outcome::Data);
                r.field(
                    "connectors",
                    serde_json::to_value(p.items).unwrap_or_default(),
                );
                r
            }
            Err(f) => failed(f),
        },
        "sessions/create-session" | "sessions/list-sessions" => {
            let sessions = if name == "sessions/create-session" {
                answers::created_session(resp).map(|s| vec![s])
            } else {
                answers::sessions(resp).map(|p| p.items)
            };
            match sessions {
                Ok(items) => {
                    let mut r = report(Outcome::Data);
                    let view: Vec<_> = items
                        .iter()
                        .map(|s| {
                            serde_json::json!({
                                "session_id": s.session_id,
                                "status": format!("{:?}", s.status),
                                "has_connection_id": s.connection_id.is_some(),
                                "error_code": s.error_code,
                            })
                        })
                        .collect();
                    r.field("sessions", view);
                    r
                }
                Err(f) => failed(f),
            }
        }
        other => match aggregation_part(other) {
            Some((endpoint, put)) => match answers::aggregation(endpoint, resp) {
                Ok(v) => {
                    let mut raw = FlanksRaw::default();
                    put(&mut raw, v);
                    let mut r = report(Outcome::Data);
                    r.add_snapshot(normalise(raw));
                    r
                }
                Err(f) => failed(f),
            },
            None => return Err(unknown(P, endpoint, KNOWN)),
        },
    })
}

type Put = fn(&mut FlanksRaw, serde_json::Value);

/// The aggregation endpoints the sync reads, and where each goes in the normaliser's input.
fn aggregation_part(name: &str) -> Option<(&'static str, Put)> {
    Some(match name {
        "bank/credentials/account" => ("/v0/bank/credentials/account", |r, v| r.accounts = Some(v)),
        "bank/credentials/data" => ("/v0/bank/credentials/data", |r, v| r.transactions = Some(v)),
        "bank/credentials/portfolio" => ("/v0/bank/credentials/portfolio", |r, v| {
            r.portfolios = Some(v)
        }),
        "bank/credentials/investment" => ("/v0/bank/credentials/investment", |r, v| {
            r.investments = Some(v)
        }),
        "bank/credentials/liability" => ("/v0/bank/credentials/liability", |r, v| {
            r.liabilities = Some(v)
        }),
        "bank/credentials/card" => ("/v0/bank/credentials/card", |r, v| r.cards = Some(v)),
        _ => return None,
    })
}

/// `POST /v0/platform/link` (the exchange) answers an object; `GET` (unused codes) an array.
fn platform_link(
    resp: &RawResponse,
    report: impl Fn(Outcome) -> DecodeReport,
    failed: impl Fn(advisor_desk_core::domain::ProviderFailure) -> DecodeReport,
) -> DecodeReport {
    if resp.json().is_some_and(|v| v.is_array()) {
        return match answers::unused_codes(resp) {
            Ok(codes) => {
                let mut r = report(Outcome::Data);
                r.field("unused_codes", codes.len());
                r
            }
            Err(f) => failed(f),
        };
    }
    match answers::exchange(resp) {
        Ok(ExchangeOutcome::Exchanged {
            link_token, extra, ..
        }) => {
            let mut r = report(Outcome::Authorized);
            r.field("has_credentials_token", true);
            r.field("has_link_token", link_token.is_some());
            r.field("extra", serde_json::to_value(extra).unwrap_or_default());
            r
        }
        Ok(ExchangeOutcome::Delayed) => report(Outcome::Pending),
        Err(f) => failed(f),
    }
}
