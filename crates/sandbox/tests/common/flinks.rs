//! Flinks calls the contract tests share: the BankingServices URLs, authorize tokens,
//! Authorize, and the Connect widget's login form.

use super::{hidden, split, Env};
use advisor_desk_sandbox::{FLINKS_CUSTOMER_ID, FLINKS_SECRET_KEY};
use serde_json::Value;

/// The answer to each of Flinks Capital's security questions (the Greatday user's MFA).
pub fn mfa_answer(prompt: &str) -> &'static str {
    match prompt {
        "What city were you born in?" => "Montreal",
        "What is the best country on earth?" => "Canada",
        "What shape do people like most?" => "Triangle",
        other => panic!("unexpected prompt {other}"),
    }
}

impl Env {
    /// `…/v3/{customerId}/BankingServices/{endpoint}`.
    pub fn flinks_api(&self, endpoint: &str) -> String {
        self.url(&format!(
            "/v3/{FLINKS_CUSTOMER_ID}/BankingServices/{endpoint}"
        ))
    }

    /// A fresh single-use authorize token from `GenerateAuthorizeToken`.
    pub async fn flinks_authorize_token(&self) -> String {
        let r = self
            .http
            .post(self.flinks_api("GenerateAuthorizeToken"))
            .header("flinks-auth-key", FLINKS_SECRET_KEY)
            .send()
            .await
            .unwrap();
        let (s, v) = split(r).await;
        assert_eq!(s, 200);
        assert_eq!(v["HttpStatusCode"], 200);
        v["Token"].as_str().unwrap().to_string()
    }

    /// `Authorize` with the given authorize token.
    pub async fn flinks_authorize_with(&self, authorize_token: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.flinks_api("Authorize"))
            .header("flinks-auth-key", authorize_token)
            .json(body)
            .send()
            .await
            .unwrap();
        split(r).await
    }

    /// `Authorize` with a fresh authorize token.
    pub async fn flinks_authorize(&self, body: Value) -> (u16, Value) {
        let token = self.flinks_authorize_token().await;
        self.flinks_authorize_with(&token, &body).await
    }

    /// Submits the widget's credentials screen `page` as `username` / `password`.
    pub async fn widget_login(
        &self,
        page: &str,
        username: &str,
        password: &str,
    ) -> (u16, String, Option<String>) {
        self.post_form(
            "/flinks-connect/v2/login",
            &[
                ("q", &hidden(page, "q")),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }
}
