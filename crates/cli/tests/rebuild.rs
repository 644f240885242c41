//! `rebuild` as an advisor who lost everything but the API keys would run it: the real binary,
//! a new empty data folder, the real Secret Service (the keys only), and the provider sandbox
//! over loopback HTTP holding credentials made through links that named three clients, and one
//! made through a link that named nobody. Run inside `scripts/with-keyring.sh`
//! (`KEYRING_HERMETIC=1`), with `--include-ignored`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use advisor_desk_core::links::client_link_ref;
use advisor_desk_core::secrets::{KeyringStore, Secret, SecretKey, SecretStore};
use advisor_desk_sandbox::{
    FaultKind, FaultRule, Sandbox, SandboxConfig, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET,
};
use serde_json::Value;

/// (client id in the lost book, name, bank login); Ana had two credentials.
const LOST: &[(i64, &str, &str)] = &[
    (1, "Ana Ruiz García", "ana-1"),
    (1, "Ana Ruiz García", "ana-2"),
    (2, "Luc Tremblay", "luc"),
    (3, "Marta Puig i Soler", "marta"),
];

fn cli(data_dir: &Path, service: &str, base: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_advisor-desk-cli"))
        .args(args)
        .env("ADVISOR_DESK_DATA_DIR", data_dir)
        .env("ADVISOR_DESK_KEYRING_SERVICE", service)
        .env("ADVISOR_DESK_FLANKS_BASE_URL", base)
        .output()
        .expect("run advisor-desk-cli")
}

fn json_out(o: &Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The `value` of the hidden input `name` of a sandbox page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden input") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

/// A Flanks API call's JSON answer.
async fn post(http: &reqwest::Client, url: &str, bearer: Option<&str>, body: Value) -> Value {
    let mut request = http.post(url).json(&body);
    if let Some(b) = bearer {
        request = request.bearer_auth(b);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// Makes a credential in the sandbox through a Flanks link carrying `external_id`, as the
/// lost desk's links did.
async fn connect(http: &reqwest::Client, base: &str, external_id: Option<&str>, login: &str) {
    let token = post(
        http,
        &format!("{base}/v0/token"),
        None,
        serde_json::json!({"client_id": FLANKS_CLIENT_ID,
            "client_secret": FLANKS_CLIENT_SECRET, "grant_type": "client_credentials"}),
    )
    .await;
    let link = post(
        http,
        &format!("{base}/v0/links/create-link"),
        token["access_token"].as_str(),
        serde_json::json!({"redirect_uri": "advisordesk://link/callback"}),
    )
    .await;
    let mut url = reqwest::Url::parse(&format!("{base}/link")).unwrap();
    url.query_pairs_mut()
        .append_pair("token", link["data"]["token"].as_str().unwrap())
        .append_pair("bank", "testbank");
    if let Some(e) = external_id {
        url.query_pairs_mut().append_pair("external_id", e);
    }
    let page = http.get(url).send().await.unwrap().text().await.unwrap();
    let done = http
        .post(format!("{base}/link/login"))
        .form(&[
            ("q", hidden(&page, "q").as_str()),
            ("username", login),
            ("password", "pass"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.status().as_u16(),
        302,
        "{}",
        done.text().await.unwrap()
    );
}

#[test]
#[ignore = "needs a Secret Service; run inside scripts/with-keyring.sh"]
fn rebuild_lists_attaches_and_syncs_an_empty_book_from_the_provider() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(async {
            Sandbox::start(SandboxConfig {
                credentials: 0,
                pending_delay: Duration::from_millis(100),
                ..SandboxConfig::default()
            })
        })
        .unwrap();
    let base = sandbox.base_url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    rt.block_on(async {
        for (session, (id, name, login)) in LOST.iter().enumerate() {
            let reference = client_link_ref("0123456789abcdef", session as i64 + 1, *id, name);
            connect(&http, &base, Some(&reference), login).await;
        }
        connect(&http, &base, None, "nobody-named-me").await;
    });

    // A new computer: an empty data folder, and only the API keys in the keychain.
    let service = format!("app.advisordesk.test.rebuild.{}", std::process::id());
    let keychain = KeyringStore::new(&service);
    for (field, value) in [
        ("client_id", FLANKS_CLIENT_ID),
        ("client_secret", FLANKS_CLIENT_SECRET),
    ] {
        keychain
            .put(
                &SecretKey::provider_key("flanks", field),
                &Secret::new(value),
            )
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| cli(dir.path(), &service, &base, args);

    let listed = json_out(&run(&["--json", "rebuild"]));
    let items = listed["flanks"].as_array().unwrap();
    assert_eq!(items.len(), LOST.len() + 1, "{listed:#}");
    assert!(listed["flinks_note"]
        .as_str()
        .unwrap()
        .contains("cannot be listed"));
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| i["proposal"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "new_client").count(), 4);
    let unmatched = items
        .iter()
        .find(|i| i["proposal"]["kind"] == "unmatched")
        .unwrap();
    assert_eq!(unmatched["proposal"]["reason"], "no_reference");
    let text = String::from_utf8(run(&["rebuild"]).stdout).unwrap();
    assert!(
        text.contains("Marta Puig i Soler (not in the book: a new client)"),
        "{text}"
    );

    // Matched only: nothing, the book has no client yet.
    let none = json_out(&run(&["--json", "rebuild", "--attach-matched"]));
    assert_eq!(none.as_array().unwrap().len(), 0);
    let done = json_out(&run(&[
        "--json",
        "rebuild",
        "--attach-matched",
        "--create-clients",
    ]));
    let done = done.as_array().unwrap();
    assert_eq!(done.len(), LOST.len());
    for d in done {
        assert_eq!(d["status"], "ready", "{d:#}");
    }
    let clients = json_out(&run(&["--json", "clients", "list"]));
    let mut names: Vec<&str> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Ana Ruiz García", "Luc Tremblay", "Marta Puig i Soler"]
    );

    // The unmatched one, assigned by the advisor to Luc.
    let luc = clients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Luc Tremblay")
        .unwrap()["id"]
        .to_string();
    let prefix = &unmatched["token_hash"].as_str().unwrap()[..10];
    let one = json_out(&run(&[
        "--json", "rebuild", "--attach", prefix, "--client", &luc,
    ]));
    assert_eq!(one[0]["reattached"]["created_client"], false);
    assert_eq!(
        json_out(&run(&["--json", "rebuild"]))["flanks"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The provider refusing the keys: a clear refusal, exit 1, nothing changed.
    let mut rule = FaultRule::new("/v0/bank/credentials/list", FaultKind::Status);
    rule.status = Some(401);
    rt.block_on(sandbox.control().add_fault(&rule)).unwrap();
    let refused = run(&["--json", "rebuild"]);
    assert_eq!(refused.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&refused.stderr).unwrap();
    assert_eq!(err["error"]["code"], "provider_unauthorized");
    // A too-short credential is refused before the provider is asked.
    let short = run(&["rebuild", "--attach", "abc", "--client", "1"]);
    assert_eq!(short.status.code(), Some(4));

    for field in ["client_id", "client_secret"] {
        let _ = keychain.delete(&SecretKey::provider_key("flanks", field));
    }
    let store = advisor_desk_core::Store::open(&dir.path().join("advisor-desk.sqlite3")).unwrap();
    for c in advisor_desk_core::sync::connections::list(&store, None).unwrap() {
        let _ = keychain.delete(&c.secret_key().unwrap());
    }
}
