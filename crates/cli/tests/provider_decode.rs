//! `provider decode` as a support person would run it: the real binary on each saved answer
//! in crates/providers/tests/answers/, one per endpoint, with `--json`.

use std::process::{Command, Output};

fn decode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(["provider", "decode"])
        .args(args)
        .output()
        .expect("run advisor-desk-cli")
}

fn answer(provider: &str, file: &str) -> String {
    format!(
        "{}/../providers/tests/answers/{provider}/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn each_endpoint_decodes_to_its_outcome() {
    // (provider, endpoint, status, file, outcome)
    let cases = [
        ("flanks", "token", 200, "token.json", "authorized"),
        ("flanks", "token", 403, "token_403.json", "failure"),
        (
            "flanks",
            "platform/link",
            200,
            "platform_link.json",
            "authorized",
        ),
        (
            "flanks",
            "platform/link",
            202,
            "platform_link.json",
            "pending",
        ),
        (
            "flanks",
            "bank/credentials/status",
            200,
            "credentials_status.json",
            "ready",
        ),
        (
            "flanks",
            "bank/credentials/status",
            200,
            "credentials_status_iso.json",
            "mfa_required",
        ),
        (
            "flanks",
            "bank/credentials/account",
            200,
            "account_loose.json",
            "data",
        ),
        ("flanks", "bank/credentials/data", 200, "data.json", "data"),
        (
            "flanks",
            "bank/credentials/data",
            200,
            "data_processing.json",
            "failure",
        ),
        (
            "flanks",
            "bank/credentials/portfolio",
            200,
            "portfolio.json",
            "data",
        ),
        (
            "flanks",
            "bank/credentials/investment",
            200,
            "investment.json",
            "data",
        ),
        (
            "flinks",
            "Authorize",
            200,
            "authorize_200.json",
            "authorized",
        ),
        (
            "flinks",
            "Authorize",
            203,
            "authorize_203.json",
            "mfa_required",
        ),
        ("flinks", "Authorize", 401, "authorize_401.json", "failure"),
        (
            "flinks",
            "AuthorizeAsync",
            202,
            "authorize_async_202.json",
            "pending",
        ),
        (
            "flinks",
            "GetAccountsDetail",
            200,
            "accounts_detail.json",
            "data",
        ),
        (
            "flinks",
            "GetAccountsDetail",
            202,
            "accounts_detail_202.json",
            "pending",
        ),
        (
            "flinks",
            "GetAccountsSummary",
            200,
            "accounts_detail_loose.json",
            "data",
        ),
        (
            "flinks",
            "GetNightlyRefreshStatus",
            200,
            "nightly_refresh_status.json",
            "data",
        ),
    ];
    for (provider, endpoint, status, file, outcome) in cases {
        let status = status.to_string();
        let out = decode(&[
            "--provider",
            provider,
            "--endpoint",
            endpoint,
            "--status",
            &status,
            &answer(provider, file),
            "--json",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{file}: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["outcome"], outcome, "{provider} {endpoint} {file}: {v}");
        for key in [
            "failure",
            "accounts",
            "transactions",
            "holdings",
            "skipped",
            "oddities",
        ] {
            assert!(v.get(key).is_some(), "{file}: no {key} in {v}");
        }
        assert_eq!(v["failure"].is_null(), outcome != "failure", "{file}: {v}");
        assert!(
            !v.to_string().contains("made-up"),
            "{file}: a secret printed"
        );
    }
}

#[test]
fn a_record_with_an_odd_field_is_kept_and_counted() {
    let out = decode(&[
        "--provider",
        "flinks",
        "--endpoint",
        "GetAccountsDetail",
        &answer("flinks", "accounts_detail_loose.json"),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(v["accounts"][0]["balance"]["amount"], "-120.50");
    assert_eq!(v["accounts"][0]["balance"]["currency"], "CAD");
    let classes: Vec<_> = v["oddities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["class"].as_str().unwrap().to_string())
        .collect();
    assert!(classes.contains(&"object_as_text".to_string()), "{v}");
    assert_eq!(v["skipped"], serde_json::json!([]));

    // Without --json: the same, for a person.
    let out = decode(&[
        "--provider",
        "flinks",
        "--endpoint",
        "GetAccountsDetail",
        &answer("flinks", "accounts_detail_loose.json"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("account a1 [credit_card] Rewards: -120.50 CAD — JANE ROE"),
        "{text}"
    );
    assert!(text.contains("oddity 2 × object_as_text"), "{text}");
}

#[test]
fn not_json_or_an_unknown_endpoint_exits_4() {
    let out = decode(&[
        "--provider",
        "flinks",
        "--endpoint",
        "Authorize",
        &answer("flinks", "not_json.txt"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(4));
    let e: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["error"]["code"], "not_json");

    let out = decode(&[
        "--provider",
        "flanks",
        "--endpoint",
        "bank/credentials/nonsense",
        &answer("flanks", "token.json"),
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bank/credentials/status"));
}
