//! The link flows' provider side: URL building (the UI never builds provider URLs) and the
//! calls the core's [`LinkProviderApi`](advisor_desk_core::links::LinkProviderApi) needs,
//! over the existing HTTP clients.

mod flanks;
mod flinks;
mod pages;
mod setup;

pub use flanks::FlanksLinks;
pub use flinks::FlinksLinks;
pub use pages::{LinkPages, FLANKS_LINK_PAGE, FLINKS_CONNECT_PAGE};
pub use setup::{
    configured_clients, link_providers, Clients, FLANKS_LINK_TOKEN_SETTING, FLANKS_LINK_URL_ENV,
    FLANKS_LINK_URL_SETTING, FLINKS_CONNECT_URL_ENV, FLINKS_CONNECT_URL_SETTING,
};
pub use setup::{
    flinks_oauth_window_redirect, FLINKS_OAUTH_WINDOW_REDIRECT_ENV,
    FLINKS_OAUTH_WINDOW_REDIRECT_SETTING,
};
