//! The link flows' provider side: URL building (the UI never builds provider URLs) and the
//! calls the core's [`LinkProviderApi`](advisor_desk_core::links::LinkProviderApi) needs,
//! over the existing HTTP clients.

mod flanks;
mod flinks;
mod pages;

pub use flanks::FlanksLinks;
pub use flinks::FlinksLinks;
pub use pages::LinkPages;
