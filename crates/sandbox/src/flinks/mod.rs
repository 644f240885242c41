//! The Flinks side: `/v3/{customerId}/BankingServices/*` and the Connect widget at
//! `/flinks-connect/v2/`.

mod api;
mod capital;
mod errors;
mod loose;
mod oauth;
mod refresh;
mod widget;

use std::sync::Arc;

use axum::routing::{delete, get, patch, post};
use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    let base = "/v3/{customer_id}/BankingServices";
    Router::new()
        .route(
            &format!("{base}/GenerateAuthorizeToken"),
            post(api::generate_authorize_token),
        )
        .route(&format!("{base}/Authorize"), post(api::authorize))
        .route(
            &format!("{base}/AuthorizeAsync"),
            post(refresh::authorize_async),
        )
        .route(
            &format!("{base}/GetNightlyRefreshStatus"),
            get(refresh::nightly_refresh_status),
        )
        .route(
            &format!("{base}/SetScheduledRefresh"),
            patch(refresh::set_scheduled_refresh),
        )
        .route(
            &format!("{base}/GetAccountsDetail"),
            post(api::accounts_detail),
        )
        .route(
            &format!("{base}/GetAccountsSummary"),
            post(api::accounts_summary),
        )
        .route(
            &format!("{base}/GetAccountsDetailAsync/{{request_id}}"),
            get(api::detail_async),
        )
        .route(
            &format!("{base}/GetAccountsSummaryAsync/{{request_id}}"),
            get(api::summary_async),
        )
        .route(
            &format!("{base}/DeleteCard/{{login_id}}"),
            delete(api::delete_card),
        )
        .route("/flinks-connect/v2/", get(widget::show))
        .route("/flinks-connect/v2", get(widget::show))
        .route(
            crate::guesses::FLINKS_CREDENTIAL_STEP,
            get(widget::credential_step),
        )
        .route("/flinks-connect/v2/login", post(widget::login))
        .route("/flinks-connect/v2/mfa", post(widget::mfa))
        .route("/flinks-connect/v2/oauth/return", get(oauth::returned))
        .route("/flinks-connect/v2/oauth/complete", get(oauth::complete))
}
