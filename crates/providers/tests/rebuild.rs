//! The book rebuilt from the provider when everything else is gone: a desk connects three
//! clients through Flanks links (the sandbox over loopback HTTP, a real SQLite file), then a
//! second, empty desk with only the API keys lists the provider's credentials, matches each to
//! the client its link named, re-attaches and syncs them — and its read models equal the first
//! desk's. Plus a credential no link named, the provider refusing the keys, and a malformed
//! answer.

mod link_support;

use std::sync::Arc;

use advisor_desk_core::book::rebuild::{
    self, AttachTo, Proposal, ProviderCredential, Reattached, RebuildError, Unmatched,
};
use advisor_desk_core::clients;
use advisor_desk_core::domain::{ConnectionStatus, FailureKind};
use advisor_desk_core::links::LinkProviderApi;
use advisor_desk_core::reads::export::{book_csv, holdings_csv};
use advisor_desk_core::secrets::{MemorySecretStore, SecretStore};
use advisor_desk_core::sync::connections;
use advisor_desk_core::{time, Store};
use advisor_desk_providers::links::{link_providers, LinkPages};
use advisor_desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use link_support::*;

/// The clients and their banks' logins: Ana has two credentials.
const LOGINS: &[(&str, &str)] = &[
    ("Ana Ruiz García", "ana-1"),
    ("Ana Ruiz García", "ana-2"),
    ("Luc Tremblay", "luc"),
    ("Marta Puig i Soler", "marta"),
];

fn config() -> SandboxConfig {
    SandboxConfig {
        credentials: 0,
        ..sandbox_config()
    }
}

/// Connects every login of [`LOGINS`] through a Flanks link, synced; returns the link token.
async fn connect_all(d: &Desk) -> String {
    for (name, login) in LOGINS {
        let client = match clients::list(&d.store, false)
            .unwrap()
            .into_iter()
            .find(|c| c.name == *name)
        {
            Some(c) => c.id,
            None => d.client(name),
        };
        let id = connect_flanks(d, client, login).await;
        assert_eq!(
            connections::get(&d.store, id).unwrap().status,
            ConnectionStatus::Ready
        );
    }
    d.flanks.list_links().await.unwrap().remove(0).token
}

/// A second installation with only the API keys: an empty book in its own SQLite file and its
/// own keychain, the provider clients of the same sandbox.
struct EmptyDesk {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    secrets: Arc<MemorySecretStore>,
    flanks: Arc<dyn LinkProviderApi>,
    base: String,
}

fn empty_desk(base: &str) -> EmptyDesk {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("new.sqlite3")).unwrap());
    let p = parts(base);
    let flanks = link_providers(Some(p.flanks), None, &LinkPages::at_base(base))
        .pop()
        .unwrap();
    EmptyDesk {
        _dir: dir,
        store,
        secrets: Arc::new(MemorySecretStore::new()),
        flanks,
        base: base.to_string(),
    }
}

impl EmptyDesk {
    async fn list(&self) -> Result<Vec<ProviderCredential>, RebuildError> {
        rebuild::list_missing(&self.store, Some(self.flanks.as_ref())).await
    }

    async fn attach(&self, hash: &str, to: AttachTo) -> Result<Reattached, RebuildError> {
        rebuild::reattach(
            &self.store,
            self.secrets.as_ref(),
            Some(self.flanks.as_ref()),
            hash,
            &to,
            "test",
        )
        .await
    }

    async fn attach_matched(&self, create_clients: bool) -> Vec<Reattached> {
        rebuild::reattach_matched(
            &self.store,
            self.secrets.as_ref(),
            Some(self.flanks.as_ref()),
            create_clients,
            "test",
        )
        .await
        .unwrap()
    }

    async fn sync(&self, connection_id: i64) -> ConnectionStatus {
        let secrets: Arc<dyn SecretStore> = self.secrets.clone();
        engine(&self.base, self.store.clone(), secrets)
            .sync_one(connection_id, &|_| {})
            .await
            .status
    }
}

/// Every read model the advisor sees of a book, by client name (ids may differ).
fn read_models(store: &Store) -> Vec<String> {
    let now = time::now();
    let mut out = vec![book_csv(store, now).unwrap().0];
    let mut clients = clients::list(store, false).unwrap();
    clients.sort_by(|a, b| a.name.cmp(&b.name));
    for c in clients {
        let mut conns: Vec<String> = connections::list(store, Some(c.id))
            .unwrap()
            .into_iter()
            // The institution is left out: the lost book knew it only when the link named
            // the bank, the rebuilt one always (the credentials list says it).
            .map(|k| format!("{:?} {:?}", k.provider, k.status))
            .collect();
        conns.sort();
        out.push(format!("{} {:?}", c.name, conns));
        out.push(holdings_csv(store, c.id, now).unwrap().0);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_book_is_rebuilt_from_the_provider_equal_to_the_lost_one() {
    let d = desk_with(config());
    let link_token = connect_all(&d).await;
    // A credential made through a link that named nobody (as another tool would).
    let bare = format!("{}/link?token={link_token}", d.base);
    let (s, _, _) = d.web.flanks_link(&bare, "someone-else", "pass", None).await;
    assert_eq!(s, 302);
    let lost = read_models(&d.store);

    let e = empty_desk(&d.base);
    let listed = e.list().await.unwrap();
    assert_eq!(listed.len(), LOGINS.len() + 1, "{listed:#?}");
    assert!(listed.iter().all(|c| c.bank.as_deref() == Some("testbank")));
    let unmatched: Vec<&ProviderCredential> = listed
        .iter()
        .filter(|c| !c.proposal.is_matched(true))
        .collect();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(
        unmatched[0].proposal,
        Proposal::Unmatched {
            reason: Unmatched::NoReference
        }
    );
    // Every other one names its client, to be created (the book is empty).
    let mut named: Vec<&str> = listed
        .iter()
        .filter_map(|c| match &c.proposal {
            Proposal::NewClient { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    named.sort();
    assert_eq!(
        named,
        [
            "Ana Ruiz García",
            "Ana Ruiz García",
            "Luc Tremblay",
            "Marta Puig i Soler"
        ]
    );

    // Without the advisor's consent to create clients, nothing is attached.
    let none = e.attach_matched(false).await;
    assert!(none.is_empty());
    assert!(clients::list(&e.store, false).unwrap().is_empty());

    let done = e.attach_matched(true).await;
    assert_eq!(done.len(), LOGINS.len());
    // Ana's second credential went to the Ana created for her first, not to a second Ana.
    assert_eq!(done.iter().filter(|r| r.created_client).count(), 3);
    assert_eq!(clients::list(&e.store, false).unwrap().len(), 3);
    for r in &done {
        assert_eq!(e.sync(r.connection_id).await, ConnectionStatus::Ready);
    }
    // Only secret_ref + token_hash in SQLite; each token in the keychain.
    assert_eq!(e.secrets.len(), LOGINS.len());

    // What is left is the unmatched one, which the advisor assigns.
    let left = e.list().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].token_hash, unmatched[0].token_hash);
    let luc = clients::list(&e.store, false)
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Luc Tremblay")
        .unwrap();
    let r = e
        .attach(&left[0].token_hash, AttachTo::Client { client_id: luc.id })
        .await
        .unwrap();
    assert!(!r.created_client);
    assert!(e.list().await.unwrap().is_empty());
    // Twice is refused, nothing changes.
    let again = e
        .attach(&left[0].token_hash, AttachTo::Client { client_id: luc.id })
        .await;
    assert!(
        matches!(again, Err(RebuildError::AlreadyInBook(_))),
        "{again:?}"
    );
    // Taken back out, the rebuilt book equals the lost one.
    connections::delete(&e.store, r.connection_id, e.secrets.as_ref(), "test").unwrap();
    assert_eq!(read_models(&e.store), lost);

    // The audit log says how each connection came back.
    let audit = e.store.audit_log(200).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "connection.rebuilt")
            .count(),
        LOGINS.len() + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_with_clients_matches_by_id_or_by_name() {
    let d = desk_with(config());
    connect_all(&d).await;
    let ana = clients::list(&d.store, false).unwrap()[0].clone();
    // The same installation lost two connections: matched by id.
    for c in connections::list(&d.store, Some(ana.id)).unwrap() {
        connections::delete(&d.store, c.id, d.secrets.as_ref(), "test").unwrap();
    }
    let links = link_providers(Some(d.flanks.clone()), None, &LinkPages::at_base(&d.base));
    let listed = rebuild::list_missing(&d.store, Some(links[0].as_ref()))
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    for c in &listed {
        assert_eq!(
            c.proposal,
            Proposal::ById {
                client_id: ana.id,
                client_name: ana.name.clone()
            }
        );
        assert_eq!(c.named_client_id, Some(ana.id));
    }

    // Another book where Ana is written otherwise: matched by name; two Lucs: unmatched.
    let e = empty_desk(&d.base);
    for name in ["RUIZ GARCIA, ANA", "Luc Tremblay", "Luc A. Tremblay"] {
        add_client(&e.store, name);
    }
    let listed = e.list().await.unwrap();
    let by_name = listed
        .iter()
        .filter(|c| matches!(&c.proposal, Proposal::ByName { client_name, .. } if client_name == "RUIZ GARCIA, ANA"))
        .count();
    assert_eq!(by_name, 2, "{listed:#?}");
    assert!(listed.iter().any(|c| c.proposal
        == Proposal::Unmatched {
            reason: Unmatched::SeveralClients
        }));
    assert!(listed.iter().any(|c| c.proposal
        == Proposal::NewClient {
            name: "Marta Puig i Soler".into()
        }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_keys_and_malformed_answers_are_clear_refusals_that_change_nothing() {
    let d = desk_with(config());
    connect_all(&d).await;
    let e = empty_desk(&d.base);
    let hash = e.list().await.unwrap()[0].token_hash.clone();

    for (rule, kind) in [
        (
            FaultRule {
                status: Some(401),
                ..FaultRule::new("/v0/bank/credentials/list", FaultKind::Status)
            },
            FailureKind::Unauthorized,
        ),
        (
            FaultRule::new("/v0/bank/credentials/list", FaultKind::Malformed),
            FailureKind::BadResponse,
        ),
    ] {
        d.control.add_fault(&rule).await.unwrap();
        match e.list().await {
            Err(RebuildError::Provider(f)) => assert_eq!(f.kind, kind),
            other => panic!("{other:?}"),
        }
        let r = e
            .attach(
                &hash,
                AttachTo::NewClient {
                    name: "Ana Ruiz García".into(),
                },
            )
            .await;
        let err = r.unwrap_err();
        assert!(err.code().starts_with("provider_"), "{}", err.code());
        assert!(
            err.to_string().starts_with("Flanks could not list"),
            "{err}"
        );
        d.control.clear_faults().await.unwrap();
        assert!(clients::list(&e.store, false).unwrap().is_empty());
        assert!(connections::list(&e.store, None).unwrap().is_empty());
        assert_eq!(e.secrets.len(), 0);
    }

    // Without Flanks keys there is nothing to ask: said so.
    let r = rebuild::list_missing(&e.store, None).await;
    assert_eq!(r.unwrap_err().code(), "not_configured");
    // A credential the provider does not list is refused by name.
    let r = e
        .attach("00ff00ff00ff00ff", AttachTo::NewClient { name: "X".into() })
        .await;
    assert!(matches!(r, Err(RebuildError::NotListed(_))), "{r:?}");
    assert!(clients::list(&e.store, false).unwrap().is_empty());
}
