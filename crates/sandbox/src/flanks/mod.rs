//! The Flanks side: API (`/v0`, `/connect/v2`), the legacy link page (`/link`) and the
//! Connect v2 session page (`/connect/session/{id}`).

mod aggregation;
mod api;
mod connect;
mod errors;
pub(crate) mod lifecycle;
mod link_page;
mod loose;
mod psd2;
mod session_page;
mod testbank;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    let mut r = Router::new()
        .route("/v0/token", post(api::token))
        .route("/v0/links/create-link", post(api::create_link))
        .route("/v0/links/list-links", post(api::list_links))
        .route("/v0/links/delete-link", post(api::delete_link))
        .route("/v0/links/pause-link", post(api::pause_link))
        .route("/v0/links/resume-link", post(api::resume_link))
        .route(
            "/v0/platform/link",
            post(api::exchange).get(api::unused_codes),
        )
        .route("/v0/bank/available", get(api::banks))
        .route(
            "/v0/bank/credentials/status",
            post(api::status).put(api::force),
        )
        .route("/v0/bank/credentials/list", post(api::list_credentials))
        .route(
            "/v0/bank/credentials",
            axum::routing::delete(api::delete_credentials),
        )
        .route(
            "/connect/v2/connectors/list-connectors",
            post(connect::list_connectors),
        )
        .route(
            "/connect/v2/sessions/create-session",
            post(connect::create_session),
        )
        .route(
            "/connect/v2/sessions/list-sessions",
            post(connect::list_sessions),
        )
        .route("/link", get(link_page::show))
        .route("/link/login", post(link_page::login))
        .route("/link/sca", post(link_page::sca))
        .route("/link/abort", post(link_page::abort))
        .route("/connect/session/{id}", get(session_page::show))
        .route("/connect/session/{id}/login", post(session_page::login))
        .route("/connect/session/{id}/continue", get(session_page::proceed))
        .route(
            "/connect/session/{id}/challenge",
            post(session_page::challenge),
        )
        .route("/connect/session/{id}/abort", post(session_page::abort))
        .route("/connect/session/{id}/bank-return", get(psd2::returned));
    for product in aggregation::PRODUCTS {
        r = r.route(
            &format!("/v0/bank/credentials/{product}"),
            post(aggregation::handler),
        );
    }
    r
}
