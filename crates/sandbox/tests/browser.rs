//! The pages in a real browser: headless Chromium (Debian `chromium` + `chromedriver`)
//! completes the Flanks link, a Connect v2 session and Flinks Connect, and each redirect
//! lands on the sandbox's own `/_sandbox/landing` page with the right query. Screenshots of
//! every step go to `docs/screenshots/sandbox-*.png`.
//!
//! Run: `cargo test -p advisor-desk-sandbox --test browser -- --include-ignored`

mod common;

use std::path::PathBuf;
use std::time::Duration;

use advisor_desk_sandbox::{Sandbox, SandboxConfig};
use advisor_desk_testkit::webdriver::{wait_until, DriverProcess, Session};
use common::flinks::mfa_answer;
use common::{query_param, urlencode};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(15);

fn shot(session: &Session, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    session
        .screenshot(&dir.join(format!("sandbox-{name}.png")))
        .expect("screenshot");
}

fn chromium(profile: &std::path::Path) -> (DriverProcess, Session) {
    let driver = DriverProcess::chromedriver("/usr/bin/chromedriver").expect("chromedriver starts");
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=900,860",
    ];
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let caps = json!({"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}});
    let session = Session::new(driver.url(), caps).expect("browser session");
    (driver, session)
}

fn fill(s: &Session, css: &str, text: &str) {
    let el = s.wait_for_css(css, WAIT).expect(css);
    s.send_keys(&el, text).expect("type");
}

fn click(s: &Session, css: &str) {
    let el = s.wait_for_css(css, WAIT).expect(css);
    s.click(&el).expect("click");
}

/// `POST {base}{path}` with a bearer token and a JSON body, answered as JSON.
fn flanks_api<'a>(
    rt: &'a tokio::runtime::Runtime,
    base: &'a str,
) -> impl Fn(&str, &str, Value) -> Value + 'a {
    let http = reqwest::Client::new();
    move |path, tok, body| {
        rt.block_on(async {
            let r = http
                .post(format!("{base}{path}"))
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
                .unwrap();
            r.json().await.unwrap()
        })
    }
}

fn flanks_token(api: &impl Fn(&str, &str, Value) -> Value) -> String {
    api(
        "/v0/token",
        "",
        json!({"client_id": advisor_desk_sandbox::FLANKS_CLIENT_ID, "client_secret": advisor_desk_sandbox::FLANKS_CLIENT_SECRET, "grant_type": "client_credentials"}),
    )["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn landed(s: &Session) -> String {
    s.wait_for_css("#query", WAIT).expect("landing page");
    s.current_url().expect("url")
}

#[test]
#[ignore = "needs chromium; run by ./dev test"]
fn flanks_link_connect_v2_and_flinks_connect_in_chromium() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _guard = rt.enter();
    let sb = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let base = sb.base_url();
    let landing = format!("{base}/_sandbox/landing");
    let api = flanks_api(&rt, &base);
    let tok = flanks_token(&api);

    let profile = tempfile::tempdir().expect("profile dir");
    let (_driver, s) = chromium(profile.path());

    // --- Flanks legacy link: bank list → login → SMS challenge → 302 to the redirect URI.
    let link = api(
        "/v0/links/create-link",
        &tok,
        json!({"redirect_uri": landing, "company_name": "Advisor Desk"}),
    )["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    s.navigate(&format!("{base}/link?token={link}&advisor_client=c-17"))
        .unwrap();
    s.wait_for_css("#bank-testbank", WAIT).unwrap();
    shot(&s, "flanks-banks");
    click(&s, "#bank-testbank");
    fill(&s, "#username", "browser.user");
    fill(&s, "#password", "SCA_SMS");
    shot(&s, "flanks-login");
    click(&s, "#submit");
    fill(&s, "#sca-answer", "482913");
    shot(&s, "flanks-sca");
    click(&s, "#sca-submit");
    let url = landed(&s);
    assert!(url.starts_with(&landing), "{url}");
    let code = query_param(&url, "code").expect("code in the redirect");
    let ex = api("/v0/platform/link", &tok, json!({"code": code}));
    assert_eq!(ex["extra"]["advisor_client"], "c-17", "{ex}");
    assert!(ex["credentials_token"]
        .as_str()
        .unwrap()
        .starts_with("sbx-cred-"));
    shot(&s, "landing");

    // --- Connect v2 session: connector list → login → challenge → redirect with session_id.
    let session = api(
        "/connect/v2/sessions/create-session",
        &tok,
        json!({"configuration": {"redirect_url": landing}}),
    );
    let sid = session["session"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.navigate(session["session"]["url"].as_str().unwrap())
        .unwrap();
    s.wait_for_css("#connector-testbank", WAIT).unwrap();
    shot(&s, "connect-connectors");
    click(&s, "#connector-testbank");
    fill(&s, "#username", "browser.v2");
    fill(&s, "#password", "SCA_EMAIL");
    click(&s, "#submit");
    // The "Connecting…" page continues by itself to the challenge.
    fill(&s, "#sca-answer", "771100");
    shot(&s, "connect-challenge");
    click(&s, "#sca-submit");
    let url = landed(&s);
    assert_eq!(
        query_param(&url, "session_id").as_deref(),
        Some(sid.as_str()),
        "{url}"
    );
    let listed = api(
        "/connect/v2/sessions/list-sessions",
        &tok,
        json!({"query": {"session_id_in": [sid]}}),
    );
    assert_eq!(listed["items"][0]["status"], "Finished:OK", "{listed}");

    // --- Flinks Connect, top level: Flinks Capital → Greatday → MFA → redirectUrl.
    s.navigate(&format!(
        "{base}/flinks-connect/v2/?demo=true&customerName=Advisor%20Desk&redirectUrl={}",
        urlencode(&landing)
    ))
    .unwrap();
    s.wait_for_css("#institution-flinkscapital", WAIT).unwrap();
    shot(&s, "flinks-institutions");
    click(&s, "#institution-flinkscapital");
    fill(&s, "#username", "Greatday");
    fill(&s, "#password", "Everyday");
    shot(&s, "flinks-login");
    click(&s, "#submit");
    let prompt = s
        .wait_for_text("#mfa-prompt", WAIT, |t| t.ends_with('?'))
        .unwrap();
    fill(&s, "#mfa-answer", mfa_answer(&prompt));
    shot(&s, "flinks-mfa");
    click(&s, "#mfa-submit");
    let url = landed(&s);
    assert_eq!(
        query_param(&url, "institution").as_deref(),
        Some("FlinksCapital"),
        "{url}"
    );
    let login_id = query_param(&url, "loginId").expect("loginId");
    assert!(login_id.contains("-5a4db0"), "{login_id}");

    // --- Flinks Connect in an iframe: the parent receives the step events, REDIRECT last.
    s.navigate(&format!("{base}/_sandbox/widget-host?demo=true&jsRedirect=true&institution=FlinksCapital&redirectUrl={}", urlencode(&landing)))
        .unwrap();
    let in_frame = |js: &str| -> Value {
        let script = format!("var d=document.getElementById('widget').contentDocument;if(!d||!d.body)return null;{js}");
        s.execute(&script, vec![]).unwrap()
    };
    wait_until("widget credentials", WAIT, || {
        Ok(in_frame("return d.getElementById('username')?true:null;").as_bool())
    })
    .unwrap();
    in_frame("d.getElementById('username').value='greatday_nomfa';d.getElementById('password').value='Everyday';d.getElementById('submit').click();return true;");
    let events = wait_until("REDIRECT event", WAIT, || {
        let ev = s.execute("return window.flinksEvents;", vec![]).unwrap();
        let has = ev
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["step"] == "REDIRECT"));
        Ok(has.then_some(ev))
    })
    .unwrap();
    shot(&s, "flinks-events");
    let steps: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["step"].as_str())
        .collect();
    assert!(
        steps.contains(&"APP_MOUNTED") && steps.contains(&"COMPONENT_LOAD_CREDENTIAL"),
        "{steps:?}"
    );
    let redirect = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["step"] == "REDIRECT")
        .unwrap();
    // The newer form (the default): loginId, requestId and institution on the event itself.
    assert_eq!(redirect["institution"], "FlinksCapital");
    assert!(
        redirect["loginId"]
            .as_str()
            .is_some_and(|l| l.contains("-5a4db0"))
            && redirect["requestId"].is_string(),
        "{redirect}"
    );
    assert!(steps.contains(&"SUBMIT_CREDENTIAL"), "{steps:?}");
    // jsRedirect=true: the widget itself did not navigate away.
    assert!(s.current_url().unwrap().contains("/_sandbox/widget-host"));

    s.delete().unwrap();
    drop(sb);
}

/// Runs `script` in the page and returns what it returns (`null` → `None`).
fn probe(s: &Session, script: &str) -> Option<Value> {
    let v = s.execute(script, vec![]).unwrap();
    (!v.is_null()).then_some(v)
}

#[test]
#[ignore = "needs chromium; run by ./dev test"]
fn oauth_banks_and_a_psd2_connector_in_chromium() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _guard = rt.enter();
    let sb = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let base = sb.base_url();
    let bank = sb.bank_url();
    let landing = format!("{base}/_sandbox/landing");
    let profile = tempfile::tempdir().expect("profile dir");
    let (_driver, s) = chromium(profile.path());
    let connect = |extra: &str| {
        format!(
            "{base}/flinks-connect/v2/?demo=true&redirectUrl={}{extra}",
            urlencode(&landing)
        )
    };

    // --- OAuth in a pop-up: Connect opens the bank on the other origin, the bank returns the
    // pop-up to Connect, which hands the code to its opener and closes.
    s.navigate(&connect("")).unwrap();
    s.wait_for_css("#institution-rbc", WAIT).unwrap();
    click(&s, "#institution-rbc");
    s.wait_for_css("#oauth-continue", WAIT).unwrap();
    s.execute(
        "window.steps=[];window.addEventListener('message',function(e){if(e.data&&e.data.step)window.steps.push(e.data.step)});return true",
        vec![],
    )
    .unwrap();
    shot(&s, "flinks-oauth-continue");
    let main = s.current_window().unwrap();
    click(&s, "#oauth-continue");
    let popup = wait_until("the bank's pop-up", WAIT, || {
        Ok(s.window_handles()?.into_iter().find(|h| *h != main))
    })
    .unwrap();
    let steps = s.execute("return window.steps", vec![]).unwrap();
    assert!(
        steps
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "POPUP_OPENED"),
        "{steps}"
    );
    s.switch_to_window(&popup).unwrap();
    fill(&s, "#bank-username", "pat");
    fill(&s, "#bank-password", "pw");
    assert!(
        s.current_url().unwrap().starts_with(&bank),
        "the bank's own origin"
    );
    shot(&s, "bank-authorize");
    click(&s, "#bank-approve");
    wait_until("the pop-up to close", WAIT, || {
        Ok((!s.window_handles()?.contains(&popup)).then_some(()))
    })
    .unwrap();
    s.switch_to_window(&main).unwrap();
    let url = landed(&s);
    assert_eq!(
        query_param(&url, "institution").as_deref(),
        Some("RBC"),
        "{url}"
    );
    assert!(query_param(&url, "loginId").is_some());

    // --- A browser that refuses the window (window.open answers null): Connect says so on
    // the page and posts POPUP_BLOCKED.
    s.navigate(&connect("&institution=TD")).unwrap();
    s.wait_for_css("#oauth-continue", WAIT).unwrap();
    s.execute(
        "window.steps=[];window.addEventListener('message',function(e){if(e.data&&e.data.step)window.steps.push(e.data.step)});\
         window.open=function(){return null};return true",
        vec![],
    )
    .unwrap();
    click(&s, "#oauth-continue");
    wait_until("POPUP_BLOCKED", WAIT, || {
        Ok(probe(
            &s,
            "return window.steps.indexOf('POPUP_BLOCKED')>=0?true:null",
        ))
    })
    .unwrap();
    assert!(
        probe(
            &s,
            "return document.getElementById('oauth-blocked').hidden?null:true"
        )
        .is_some(),
        "the page tells the client"
    );
    assert_eq!(s.window_handles().unwrap().len(), 1);
    shot(&s, "flinks-oauth-blocked");

    // --- oauthWindowRedirect=true: the same flow in one window.
    s.navigate(&connect("&institution=BMO&oauthWindowRedirect=true"))
        .unwrap();
    click(&s, "#oauth-continue");
    fill(&s, "#bank-username", "pat");
    fill(&s, "#bank-password", "pw");
    click(&s, "#bank-approve");
    let url = landed(&s);
    assert_eq!(
        query_param(&url, "institution").as_deref(),
        Some("BMO"),
        "{url}"
    );
    assert_eq!(s.window_handles().unwrap().len(), 1, "no pop-up");

    // --- Flanks PSD2: the session page leaves for the bank and comes back by redirects.
    let api = flanks_api(&rt, &base);
    let session = api(
        "/connect/v2/sessions/create-session",
        &flanks_token(&api),
        json!({"configuration": {"redirect_url": landing}}),
    );
    s.navigate(session["session"]["url"].as_str().unwrap())
        .unwrap();
    click(&s, "#connector-santander");
    s.wait_for_css("#psd2-continue", WAIT).unwrap();
    shot(&s, "flanks-psd2");
    click(&s, "#psd2-continue");
    fill(&s, "#bank-username", "pilar");
    fill(&s, "#bank-password", "pw");
    click(&s, "#bank-approve");
    let url = landed(&s);
    assert_eq!(
        query_param(&url, "session_id").as_deref(),
        session["session"]["session_id"].as_str(),
        "{url}"
    );
    s.delete().unwrap();
    drop(sb);
}
