//! The decoder the sync uses, on saved answers built from the providers' documented examples
//! (`tests/answers/`): what each meant, what was decoded, what was skipped and what was odd.

use advisor_desk_core::domain::Provider;
use advisor_desk_providers::decode::{decode, DecodeError, DecodeReport, Outcome};
use serde_json::Value;

fn answer(provider: Provider, endpoint: &str, status: u16, file: &str) -> DecodeReport {
    let path = format!(
        "{}/tests/answers/{}/{file}",
        env!("CARGO_MANIFEST_DIR"),
        provider.as_str()
    );
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    decode(provider, endpoint, status, &body).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn json(r: &DecodeReport) -> Value {
    serde_json::to_value(r).unwrap()
}

fn odd(r: &DecodeReport, class: &str) -> u32 {
    r.oddities
        .iter()
        .find(|o| o.class == class)
        .map_or(0, |o| o.count)
}

#[test]
fn flinks_authorize_200_203_and_the_async_202() {
    let r = answer(Provider::Flinks, "Authorize", 200, "authorize_200.json");
    assert_eq!(r.outcome, Outcome::Authorized);
    let j = json(&r);
    assert_eq!(j["request_id"], "5f9e1a52-9a42-4d0c-8a6c-2a7d5b0c1111");
    assert_eq!(j["last_refresh"], "2026-11-30T06:15:42.123456700+00:00");
    assert_eq!(j["has_login_id"], true);
    assert!(
        !j.to_string().contains("made-up-login-id"),
        "a loginId is never printed"
    );

    let r = answer(Provider::Flinks, "Authorize", 203, "authorize_203.json");
    assert_eq!(r.outcome, Outcome::MfaRequired);
    assert_eq!(
        json(&r)["challenges"][0]["prompt"],
        "What city were you born in?"
    );

    let r = answer(
        Provider::Flinks,
        "AuthorizeAsync",
        202,
        "authorize_async_202.json",
    );
    assert_eq!(r.outcome, Outcome::Pending);
    assert_eq!(
        json(&r)["request_id"],
        "5f9e1a52-9a42-4d0c-8a6c-2a7d5b0c3333"
    );
}

#[test]
fn flinks_failures_are_classified_as_the_sync_classifies_them() {
    let r = answer(Provider::Flinks, "Authorize", 401, "authorize_401.json");
    assert_eq!(r.outcome, Outcome::Failure);
    let f = r.failure.unwrap();
    assert_eq!(
        (f.kind, f.actor, f.code.as_deref()),
        ("blocked", "client", Some("DISABLED_LOGIN"))
    );
    let r = answer(
        Provider::Flinks,
        "AuthorizeAsync",
        400,
        "session_nonexistent_400.json",
    );
    assert_eq!(r.failure.unwrap().actor, "nobody");
}

#[test]
fn flinks_accounts_detail_as_documented() {
    let r = answer(
        Provider::Flinks,
        "GetAccountsDetail",
        200,
        "accounts_detail.json",
    );
    assert_eq!(r.outcome, Outcome::Data);
    let j = json(&r);
    assert_eq!(j["accounts"][0]["kind"], "current");
    assert_eq!(j["accounts"][0]["balance"]["amount"], "1500.50");
    assert_eq!(j["accounts"][0]["owners"][0], "John Doe");
    assert_eq!(j["accounts"][1]["kind"], "credit_card");
    assert_eq!(j["accounts"][1]["balance"]["amount"], "-250.00");
    assert_eq!(j["transactions"][1]["amount"]["amount"], "-4.75");
    assert_eq!(j["transactions"][1]["account_id"], "a1");
    assert_eq!(j["transactions"][1]["date"], "2026-11-28");
    assert!(r.skipped.is_empty() && r.oddities.is_empty(), "{j}");

    let r = answer(
        Provider::Flinks,
        "GetAccountsDetail",
        202,
        "accounts_detail_202.json",
    );
    assert_eq!(r.outcome, Outcome::Pending);
}

#[test]
fn flinks_looser_answers_keep_every_record_and_count_each_oddity() {
    let r = answer(
        Provider::Flinks,
        "GetAccountsDetailAsync",
        200,
        "accounts_detail_loose.json",
    );
    let j = json(&r);
    assert_eq!(r.accounts.len(), 3, "{j}");
    assert_eq!(r.transactions.len(), 2, "{j}");
    let kinds: Vec<_> = r.accounts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["credit_card", "other", "investment"]);
    assert_eq!(j["accounts"][0]["owners"][0], "JANE ROE");
    assert_eq!(j["transactions"][0]["amount"]["amount"], "-7.50");
    assert!(
        j.get("data_as_of").is_none(),
        "a sentinel LastRefresh is never"
    );
    assert_eq!(odd(&r, "object_as_text"), 2);
    assert_eq!(odd(&r, "sentinel_date"), 1);
    assert_eq!(odd(&r, "extra_precision"), 1);
    assert_eq!(odd(&r, "both_exclusive"), 1);
    assert_eq!(odd(&r, "missing_classification"), 3);
    assert!(r.skipped.is_empty());
}

#[test]
fn flinks_nightly_refresh_status_never_prints_a_login_id() {
    let r = answer(
        Provider::Flinks,
        "GetNightlyRefreshStatus",
        200,
        "nightly_refresh_status.json",
    );
    let j = json(&r);
    assert_eq!(j["ineligible"][0], "MFA is required at every connection");
    assert!(!j.to_string().contains("made-up-login-id"));
}

#[test]
fn flanks_token_exchange_and_unused_codes_print_no_secret() {
    let r = answer(Provider::Flanks, "token", 200, "token.json");
    assert_eq!(
        (r.outcome, json(&r)["expires_in"].as_u64()),
        (Outcome::Authorized, Some(3600))
    );
    let r = answer(Provider::Flanks, "token", 403, "token_403.json");
    assert_eq!(r.failure.unwrap().actor, "advisor");
    let r = answer(Provider::Flanks, "platform/link", 200, "platform_link.json");
    let j = json(&r);
    assert_eq!(j["extra"]["client"], "42");
    assert_eq!(j["has_credentials_token"], true);
    assert!(!j.to_string().contains("made-up"));
    let r = answer(Provider::Flanks, "platform/link", 202, "platform_link.json");
    assert_eq!(r.outcome, Outcome::Pending, "a delayed code");
    let r = answer(
        Provider::Flanks,
        "/v0/platform/link",
        200,
        "platform_link_unused.json",
    );
    assert_eq!(json(&r)["unused_codes"], 1);
}

#[test]
fn flanks_status_prefers_the_timestamp_and_keeps_an_iso_time() {
    let r = answer(
        Provider::Flanks,
        "bank/credentials/status",
        200,
        "credentials_status.json",
    );
    assert_eq!(r.outcome, Outcome::Ready);
    let j = json(&r);
    assert_eq!(j["last_update"], "2026-11-30T06:15:00+00:00");
    assert_eq!(j["errored_products"][0], "portfolio");
    let r = answer(
        Provider::Flanks,
        "bank/credentials/status",
        200,
        "credentials_status_iso.json",
    );
    assert_eq!(r.outcome, Outcome::MfaRequired, "Pending SCA");
    assert_eq!(json(&r)["last_update"], "2026-11-30T06:15:42.123+00:00");
}

#[test]
fn flanks_accounts_and_transactions_keep_odd_records() {
    let r = answer(
        Provider::Flanks,
        "bank/credentials/account",
        200,
        "account_loose.json",
    );
    let kinds: Vec<_> = r.accounts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["current", "current", "other"]);
    assert_eq!(json(&r)["accounts"][1]["balance"]["amount"], "2500.00");
    assert_eq!(odd(&r, "unknown_code"), 1);
    assert_eq!(r.skipped.len(), 1);
    assert_eq!(r.skipped[0].record, "flanks account");

    let r = answer(Provider::Flanks, "bank/credentials/data", 200, "data.json");
    assert_eq!(r.transactions.len(), 2);
    assert_eq!(json(&r)["transactions"][1]["amount"]["amount"], "1000.00");
    assert_eq!(odd(&r, "sentinel_date"), 1);
    assert_eq!(odd(&r, "extra_precision"), 1);

    let r = answer(
        Provider::Flanks,
        "bank/credentials/data",
        200,
        "data_processing.json",
    );
    assert_eq!(r.failure.unwrap().kind, "pending");
}

#[test]
fn flanks_product_and_investment_types_per_the_data_types_table() {
    let r = answer(
        Provider::Flanks,
        "bank/credentials/portfolio",
        200,
        "portfolio.json",
    );
    let classes: Vec<_> = r.accounts.iter().map(|a| a.asset_class).collect();
    assert_eq!(
        classes,
        [Some("mixed"), Some("bank_product"), Some("other")]
    );
    assert_eq!(odd(&r, "unknown_code"), 1);
    let r = answer(
        Provider::Flanks,
        "bank/credentials/investment",
        200,
        "investment.json",
    );
    let classes: Vec<_> = r.holdings.iter().map(|h| h.asset_class).collect();
    assert_eq!(
        classes,
        ["fund", "derivative", "bank_product", "alternative", "other"]
    );
    assert_eq!(r.holdings[0].units.as_deref(), Some("12.345"));
}

#[test]
fn not_json_and_unknown_endpoints_are_refused() {
    assert!(matches!(
        decode(Provider::Flinks, "Authorize", 200, b"not json"),
        Err(DecodeError::NotJson(_))
    ));
    let e = decode(Provider::Flinks, "GetStatements", 200, b"{}").unwrap_err();
    assert!(e.to_string().contains("GetAccountsDetail"), "{e}");
    assert!(decode(Provider::Flanks, "bank/credentials/auth", 200, b"{}").is_err());
}
