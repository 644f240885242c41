//! The firm the link tests share: the owner (the firm's first admin) set the firm up with its
//! first key; Alice serves client 1, Bob serves client 2. The firm key is filed in the
//! keychain the test hands in (Alice's desktop).
#![allow(dead_code)] // each test binary uses its own part

use std::time::Duration;

use advisor_desk_core::domain::Provider;
use advisor_desk_core::firm::{FirmId, FirmKey, PendingLink};
use advisor_desk_core::links::{
    parse_callback, CallbackSource, Delivery, LinkFlow, LinkPurpose, LinkSession, NewLinkSession,
    StartedLinkSession,
};
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_core::time;
use advisor_desk_firm::links::{sessions, FirmLinkError};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::secrets;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::test_server::TestServer;
use advisor_desk_firm::{FirmDbConfig, FirmStore};

pub const ALICES_CLIENT: i64 = 1;
pub const BOBS_CLIENT: i64 = 2;

pub struct LinkFirm {
    pub book: TestFirm,
    pub id: FirmId,
    pub alice: TestMember,
    pub bob: TestMember,
    /// Alice's desktop's pool.
    pub store: FirmStore,
}

impl LinkFirm {
    pub fn new(server: &TestServer, keychain: &dyn SecretStore) -> LinkFirm {
        let book = TestFirm::migrated_on(server);
        let alice = book.add_member("alice", MemberKind::Advisor);
        let bob = book.add_member("bob", MemberKind::Advisor);
        let mut owner = book.owner();
        for (n, member) in [(ALICES_CLIENT, &alice), (BOBS_CLIENT, &bob)] {
            owner
                .batch_execute(&format!(
                    "INSERT INTO clients (id, kind, name, created_at, updated_at)
                         VALUES ({n}, 'person', 'Client {n}', now(), now());
                     INSERT INTO client_assignments (client_id, advisor_role) VALUES ({n}, '{}');",
                    member.role
                ))
                .unwrap();
        }
        owner
            .batch_execute("SELECT setval(pg_get_serial_sequence('clients', 'id'), 100)")
            .unwrap();
        let id = FirmId::new(format!("firm-{}", book.database.name)).unwrap();
        let admin = FirmStore::connect(&config(book.database.owner_url())).unwrap();
        let first = FirmKey::generate(1).unwrap();
        first.save(keychain, &id).unwrap();
        admin
            .write_as(|tx| secrets::set_up_firm(tx, &id, &first))
            .unwrap();
        let store = FirmStore::connect(&config(book.url_for(&alice))).unwrap();
        LinkFirm {
            book,
            id,
            alice,
            bob,
            store,
        }
    }

    pub fn store_for(&self, member: &TestMember) -> FirmStore {
        FirmStore::connect(&config(self.book.url_for(member))).unwrap()
    }

    /// Alice starts a Flanks link for her client.
    pub fn start_link(&self) -> StartedLinkSession {
        sessions::start(&self.store, &new_link(ALICES_CLIENT), "alice", time::now()).unwrap()
    }

    /// The provider's redirect with the state, delivered by the OS, claimed on `store`.
    pub fn claim(
        &self,
        store: &FirmStore,
        state: &str,
        code: &str,
    ) -> Result<LinkSession, FirmLinkError> {
        let url = format!("advisordesk://link/callback?state={state}&code={code}");
        let cb = parse_callback(url.as_bytes()).unwrap();
        sessions::claim_callback(store, &cb, None, CallbackSource::DeepLink, time::now())
    }

    /// Rows as stored (bypassing row security): how many connections carry `token_hash`, and
    /// how many sealed credentials they have.
    pub fn connections_with(&self, token_hash: &str) -> (i64, i64) {
        let row = self
            .book
            .superuser()
            .query_one(
                "SELECT count(DISTINCT c.id), count(s.id) FROM connections c
                   LEFT JOIN sealed_secrets s ON s.connection_id = c.id
                  WHERE c.token_hash = $1",
                &[&token_hash],
            )
            .unwrap();
        (row.get(0), row.get(1))
    }

    /// A connection's credentials as Alice opens them, with the firm key from `keychain`.
    pub fn open_credentials(&self, keychain: &dyn SecretStore, connection_id: i64) -> Secret {
        let place = secrets::SecretPlace::Credentials { connection_id };
        self.store
            .read(|db| Ok(secrets::open(db, keychain, place)))
            .unwrap()
            .unwrap()
    }

    /// How many audit entries have `action`.
    pub fn audited(&self, action: &str) -> usize {
        self.audit().iter().filter(|(a, _)| a == action).count()
    }

    /// The audit actions (and details) of the firm, oldest first.
    pub fn audit(&self) -> Vec<(String, String)> {
        self.book
            .superuser()
            .query("SELECT action, detail FROM audit_log ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }
}

/// A short connect timeout: an unreachable server is reported in seconds.
pub fn config(url: String) -> FirmDbConfig {
    FirmDbConfig::new(url)
        .with_pool_size(2)
        .with_connect_timeout(Duration::from_secs(2))
}

pub fn new_link(client_id: i64) -> NewLinkSession {
    NewLinkSession {
        client_id,
        connection_id: None,
        flow: LinkFlow::FlanksLink,
        purpose: LinkPurpose::New,
        ttl: chrono::Duration::minutes(30),
        delivery: Delivery::Window,
    }
}

/// The result the exchange obtained for `session`.
pub fn result_of(session: &LinkSession, token: &str) -> PendingLink {
    PendingLink {
        session_id: session.id,
        client_id: session.client_id,
        provider: Provider::Flanks,
        token: Secret::new(token),
        institution: Some("testbank".into()),
        obtained_at: time::now(),
    }
}

/// The client at the sandbox's Flanks link page `url` (its bank chosen): the login form
/// filled in as `user` (each user is another bank login), and the final 302 to the app, whose
/// Location is returned.
pub async fn flanks_link_redirect(base: &str, url: &str, user: &str) -> String {
    let (http, page) = open_page(url).await;
    let q = hidden(&page, "q");
    let form = [
        ("q", q.as_str()),
        ("username", user),
        ("password", "pass-1234"),
    ];
    redirect_after(&http, &format!("{base}/link/login"), &form).await
}

/// The client at a reauthorization's SCA-only page `url`: the bank's challenge answered, and
/// the final 302 to the app, whose Location is returned.
pub async fn flanks_sca_redirect(base: &str, url: &str) -> String {
    let (http, page) = open_page(url).await;
    assert!(
        page.contains("sca-answer") && !page.contains("id=\"password\""),
        "{page}"
    );
    let (q, attempt) = (hidden(&page, "q"), hidden(&page, "attempt"));
    let form = [
        ("q", q.as_str()),
        ("attempt", attempt.as_str()),
        ("answer", "999111"),
    ];
    redirect_after(&http, &format!("{base}/link/sca"), &form).await
}

async fn open_page(url: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(url).send().await.unwrap().text().await.unwrap();
    (http, page)
}

async fn redirect_after(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> String {
    let answer = http.post(url).form(form).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302);
    answer.headers()["location"].to_str().unwrap().to_string()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the hidden field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}
