//! Shared set-up for the link-flow tests: a real sandbox over loopback HTTP, a real SQLite
//! file, the real provider clients behind `LinkService`, and drivers that walk the providers'
//! HTML pages the way the embedded window would (forms, a real 302 at the end).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::domain::ConnectionStatus;
use advisor_desk_core::links::{CallbackSource, LinkFlow, LinkOutcome, LinkService};
use advisor_desk_core::secrets::{MemorySecretStore, SecretStore};
use advisor_desk_core::sync::connections;
use advisor_desk_core::sync::{CallBuffer, ProviderGateway, SyncEngine, SyncOptions};
use advisor_desk_core::Store;
use advisor_desk_providers::links::{link_providers, LinkPages};
use advisor_desk_providers::{
    FlanksClient, FlanksConfig, FlanksGateway, FlinksClient, FlinksConfig, FlinksGateway,
    HttpPolicy,
};
use advisor_desk_sandbox::{
    Sandbox, SandboxConfig, SandboxControl, SandboxHandle, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET,
    FLINKS_API_KEY, FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY,
};
use reqwest::Client;

mod file_secrets;
#[allow(unused_imports)] // not every test kills a process
pub use file_secrets::FileSecretStore;

pub fn policy() -> HttpPolicy {
    HttpPolicy {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        max_attempts: 2,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_retry_after_wait: Duration::from_secs(1),
        max_concurrency: 8,
        max_per_second: 0,
        ..HttpPolicy::default()
    }
}

pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        pending_delay: Duration::from_millis(200),
        flinks_processing_delay: Duration::from_millis(200),
        ..Default::default()
    }
}

/// The app's pieces, built from a base URL exactly as configuration would.
pub struct Parts {
    pub flanks: Arc<FlanksClient>,
    pub flinks: Arc<FlinksClient>,
    pub calls: Arc<CallBuffer>,
}

pub fn parts(base: &str) -> Parts {
    let calls = Arc::new(CallBuffer::new());
    let mut fc = FlanksConfig::new(
        advisor_desk_core::secrets::Secret::new(FLANKS_CLIENT_ID),
        advisor_desk_core::secrets::Secret::new(FLANKS_CLIENT_SECRET),
    )
    .with_base_url(base);
    fc.http = policy();
    let mut lc = FlinksConfig::new(
        FLINKS_CUSTOMER_ID,
        advisor_desk_core::secrets::Secret::new(FLINKS_SECRET_KEY),
        advisor_desk_core::secrets::Secret::new(FLINKS_API_KEY),
    )
    .with_base_url(base);
    lc.async_poll_interval = Duration::from_millis(100);
    lc.async_deadline = Duration::from_secs(5);
    lc.http = policy();
    Parts {
        flanks: Arc::new(FlanksClient::new(fc, calls.clone()).unwrap()),
        flinks: Arc::new(FlinksClient::new(lc, calls.clone()).unwrap()),
        calls,
    }
}

pub fn service(base: &str, store: Arc<Store>, secrets: Arc<dyn SecretStore>) -> LinkService {
    let p = parts(base);
    let pages = LinkPages::at_base(base);
    let engine = engine_with(&p, store.clone(), secrets.clone());
    let providers = link_providers(Some(p.flanks.clone()), Some(p.flinks.clone()), &pages);
    LinkService::new(store, secrets, providers, Some(engine))
}

/// The sync engine of both providers at `base`, with the tests' short polling.
pub fn engine(base: &str, store: Arc<Store>, secrets: Arc<dyn SecretStore>) -> SyncEngine {
    engine_with(&parts(base), store, secrets)
}

fn engine_with(p: &Parts, store: Arc<Store>, secrets: Arc<dyn SecretStore>) -> SyncEngine {
    SyncEngine::new(
        store,
        secrets,
        vec![
            Arc::new(FlanksGateway::new(p.flanks.clone())) as Arc<dyn ProviderGateway>,
            Arc::new(FlinksGateway::new(p.flinks.clone())),
        ],
        p.calls.clone(),
        SyncOptions {
            status_poll_initial: Duration::from_millis(100),
            status_poll_max: Duration::from_millis(200),
            status_deadline: Duration::from_secs(3),
            ..Default::default()
        },
    )
}

pub struct Desk {
    pub sandbox: SandboxHandle,
    pub control: SandboxControl,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub secrets: Arc<MemorySecretStore>,
    pub links: LinkService,
    pub flanks: Arc<FlanksClient>,
    pub flinks: Arc<FlinksClient>,
    pub web: Web,
}

pub fn desk() -> Desk {
    desk_with(sandbox_config())
}

pub fn desk_with(config: SandboxConfig) -> Desk {
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    let base = sandbox.base_url();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("desk.sqlite3")).unwrap());
    let secrets = Arc::new(MemorySecretStore::new());
    let links = service(&base, store.clone(), secrets.clone());
    let p = parts(&base);
    Desk {
        control: sandbox.control(),
        web: Web::new(&base),
        sandbox,
        base,
        dir,
        store,
        secrets,
        links,
        flanks: p.flanks,
        flinks: p.flinks,
    }
}

impl Desk {
    pub fn client(&self, name: &str) -> i64 {
        add_client(&self.store, name)
    }
}

pub fn add_client(store: &Store, name: &str) -> i64 {
    clients::add(
        store,
        &NewClient {
            name: name.into(),
            ..Default::default()
        },
        "test",
    )
    .unwrap()
    .id
}

/// A browser without JavaScript: follows the pages' forms, never the final redirect.
pub struct Web {
    pub http: Client,
    pub base: String,
}

/// (status, body, Location)
pub type Page = (u16, String, Option<String>);

impl Web {
    pub fn new(base: &str) -> Self {
        Web {
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
        }
    }

    fn abs(&self, url: &str) -> String {
        if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.base)
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        page(self.http.get(self.abs(url)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        page(
            self.http
                .post(self.abs(path))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Flanks legacy Link from its URL: bank (testbank unless the URL names one), login,
    /// optional SCA answer. Returns the last answer (a 302 to the callback when it ends).
    pub async fn flanks_link(
        &self,
        url: &str,
        user: &str,
        password: &str,
        sca: Option<&str>,
    ) -> Page {
        let url = if url.contains("bank=") {
            url.to_string()
        } else {
            format!("{url}&bank=testbank")
        };
        let (s, body, _) = self.get(&url).await;
        assert_eq!(s, 200, "{body}");
        let (s, body, loc) = self
            .post(
                "/link/login",
                &[
                    ("q", &hidden(&body, "q")),
                    ("username", user),
                    ("password", password),
                ],
            )
            .await;
        match sca {
            Some(answer) if body.contains("id=\"sca-answer\"") => self.sca(&body, answer).await,
            _ => (s, body, loc),
        }
    }

    /// Answers the SCA screen of a page.
    pub async fn sca(&self, body: &str, answer: &str) -> Page {
        self.post(
            "/link/sca",
            &[
                ("q", &hidden(body, "q")),
                ("attempt", &hidden(body, "attempt")),
                ("answer", answer),
            ],
        )
        .await
    }

    /// An SCA-only reauthorization link: the page asks only for the challenge.
    pub async fn flanks_sca_link(&self, url: &str, answer: &str) -> Page {
        let (s, body, _) = self.get(url).await;
        assert_eq!(s, 200, "{body}");
        assert!(body.contains("sca-answer") && !body.contains("id=\"password\""));
        self.sca(&body, answer).await
    }

    /// Flanks Connect v2 session page: login, optional challenge, the final 302.
    pub async fn connect_v2(&self, url: &str, user: &str, password: &str) -> Page {
        let path = url.strip_prefix(&self.base).unwrap_or(url).to_string();
        let (s, body, _) = self.get(&path).await;
        assert_eq!(s, 200, "{body}");
        self.post(
            &format!("{path}/login"),
            &[
                ("connector", "esp:testbank"),
                ("username", user),
                ("password", password),
            ],
        )
        .await;
        let (s, body, loc) = self.get(&format!("{path}/continue")).await;
        if s == 200 && body.contains("sca-answer") {
            self.post(&format!("{path}/challenge"), &[("answer", "4321")])
                .await;
            return self.get(&format!("{path}/continue")).await;
        }
        (s, body, loc)
    }

    /// Flinks Connect: Flinks Capital, login, MFA answers; returns the redirect URL the
    /// widget navigates to (a JS navigation, so it is read from the page).
    pub async fn flinks_connect(&self, url: &str, user: &str) -> String {
        let url = format!("{url}&institution=FlinksCapital");
        let (s, mut body, mut loc) = self.get(&url).await;
        // Consent first when the link asks for it.
        while s == 200 && body.contains("id=\"consent-accept\"") {
            let href = attr_after(&body, "id=\"consent-accept\"", "href=\"");
            let next = format!(
                "{}{}",
                url.split('?').next().unwrap(),
                href.replace("&amp;", "&")
            );
            (_, body, loc) = self.get(&next).await;
        }
        let _ = loc;
        let (_, mut body, _) = if body.contains("name=\"password\"") {
            self.post(
                "/flinks-connect/v2/login",
                &[
                    ("q", &hidden(&body, "q")),
                    ("username", user),
                    ("password", "Everyday"),
                ],
            )
            .await
        } else {
            (200, body, None)
        };
        while body.contains("COMPONENT_LOAD_MFA") && body.contains("name=\"prompt\"") {
            let prompt = hidden(&body, "prompt");
            (_, body, _) = self
                .post(
                    "/flinks-connect/v2/mfa",
                    &[
                        ("q", &hidden(&body, "q")),
                        ("request_id", &hidden(&body, "request_id")),
                        ("prompt", &prompt),
                        ("answer", mfa_answer(&prompt)),
                    ],
                )
                .await;
        }
        redirect_in_page(&body).unwrap_or_else(|| panic!("no redirect in {body}"))
    }
}

pub fn mfa_answer(prompt: &str) -> &'static str {
    if prompt.contains("city") {
        "Montreal"
    } else if prompt.contains("country") {
        "Canada"
    } else {
        "Triangle"
    }
}

/// The URL of the widget's JS redirect (`var u="…"`, `&` written as `\u0026`).
pub fn redirect_in_page(body: &str) -> Option<String> {
    let start = body.find("var u=\"")? + 7;
    let end = body[start..].find('"')? + start;
    Some(body[start..end].replace("\\u0026", "&").replace("\\/", "/"))
}

async fn page(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), loc)
}

fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let at = html.find(marker).unwrap();
    let from = html[..at].rfind('<').unwrap();
    let tag_end = html[at..].find('>').unwrap() + at;
    let tag = &html[from..tag_end];
    let start = tag.find(attr).unwrap() + attr.len();
    let end = tag[start..].find('"').unwrap() + start;
    tag[start..end].to_string()
}

/// The `value` of the hidden input called `name` (values are HTML-escaped by the pages).
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in page: {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

pub fn query_param(url: &str, key: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

// ----- shared steps of the link-flow tests ------------------------------------------------

pub fn connected(o: &LinkOutcome) -> (i64, ConnectionStatus) {
    match o {
        LinkOutcome::Connected {
            connection_id,
            status,
            ..
        } => (*connection_id, *status),
        other => panic!("expected connected, got {other:?}"),
    }
}

pub fn token_of(d: &Desk, connection_id: i64) -> String {
    let c = connections::get(&d.store, connection_id).unwrap();
    d.secrets
        .get(&c.secret_key().unwrap())
        .unwrap()
        .expect("token in the keychain")
        .expose()
        .to_string()
}

/// Connects a Flanks legacy login for a client through the embedded window.
pub async fn connect_flanks(d: &Desk, client: i64, user: &str) -> i64 {
    let start = d
        .links
        .start_connect(client, LinkFlow::FlanksLink)
        .await
        .unwrap();
    let (s, body, loc) = d
        .web
        .flanks_link(&start.url, user, "SCA_SMS", Some("1234"))
        .await;
    assert_eq!(s, 302, "{body}");
    let o = d
        .links
        .handle_callback(
            loc.unwrap().as_bytes(),
            Some(start.session_id),
            CallbackSource::EmbeddedWindow,
        )
        .await
        .unwrap();
    connected(&o).0
}

/// Connects a Flinks Capital login (`user`) for a client through the embedded window.
pub async fn connect_flinks(d: &Desk, client: i64, user: &str) -> i64 {
    let start = d
        .links
        .start_connect(client, LinkFlow::FlinksConnect)
        .await
        .unwrap();
    let redirect = d.web.flinks_connect(&start.url, user).await;
    let o = d
        .links
        .handle_callback(
            redirect.as_bytes(),
            Some(start.session_id),
            CallbackSource::EmbeddedWindow,
        )
        .await
        .unwrap();
    connected(&o).0
}
