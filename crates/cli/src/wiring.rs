//! The configured providers wired for commands that start links or re-attach credentials
//! and then sync: one client per provider (one token cache, one limiter) shared by the link
//! APIs and the sync engine.

use std::sync::Arc;

use advisor_desk_core::links::LinkProviderApi;
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::sync::{CallBuffer, ProviderGateway, SyncEngine, SyncOptions};
use advisor_desk_core::{CoreError, Store};
use advisor_desk_providers::links::{configured_clients, link_providers, LinkPages};
use advisor_desk_providers::{FlanksGateway, FlinksGateway};

pub struct Wired {
    pub providers: Vec<Arc<dyn LinkProviderApi>>,
    pub engine: SyncEngine,
}

pub fn wire(store: Arc<Store>, secrets: Arc<dyn SecretStore>) -> Result<Wired, CoreError> {
    let calls = Arc::new(CallBuffer::new());
    let clients = configured_clients(&store, secrets.as_ref(), calls.clone())?;
    let mut gateways: Vec<Arc<dyn ProviderGateway>> = Vec::new();
    if let Some(c) = &clients.flanks {
        gateways.push(Arc::new(FlanksGateway::new(c.clone())));
    }
    if let Some(c) = &clients.flinks {
        gateways.push(Arc::new(FlinksGateway::new(c.clone())));
    }
    let pages = LinkPages::from_settings(&store)?;
    let providers = link_providers(clients.flanks, clients.flinks, &pages);
    let engine = SyncEngine::new(
        store,
        secrets,
        gateways,
        calls,
        SyncOptions {
            trigger: "cli".into(),
            ..SyncOptions::default()
        },
    );
    Ok(Wired { providers, engine })
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CoreError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CoreError::Io)
}
