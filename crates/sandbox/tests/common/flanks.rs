//! Flanks calls the contract tests make again and again: credential endpoints, the code
//! exchange, the documented PUT force, and the legacy link page driven form by form.

use super::{hidden, query_param, split, Env};
use advisor_desk_sandbox::DEFAULT_LINK_TOKEN;
use serde_json::{json, Value};

impl Env {
    /// `POST /v0/bank/credentials/{endpoint}` with just `{"credentials_token": cred}`.
    pub async fn post_credentials(&self, token: &str, endpoint: &str, cred: &str) -> (u16, Value) {
        self.post(
            token,
            &format!("/v0/bank/credentials/{endpoint}"),
            json!({"credentials_token": cred}),
        )
        .await
    }

    /// Exchanges a link code: `POST /v0/platform/link {"code": code}`.
    pub async fn exchange(&self, token: &str, code: &str) -> (u16, Value) {
        self.post(token, "/v0/platform/link", json!({"code": code}))
            .await
    }

    /// The documented `PUT /v0/bank/credentials/status {credentials_token, force}`.
    pub async fn force_status(&self, token: &str, cred: &str, force: &str) -> (u16, Value) {
        let r = self
            .http
            .put(self.url("/v0/bank/credentials/status"))
            .bearer_auth(token)
            .json(&json!({"credentials_token": cred, "force": force}))
            .send()
            .await
            .unwrap();
        split(r).await
    }

    /// Runs the link page from `/link?{query}` through the login form (and, given an answer,
    /// the SCA screen); returns the last answer: (status, body, Location header).
    pub async fn link_login(
        &self,
        query: &str,
        user: &str,
        password: &str,
        sca: Option<&str>,
    ) -> (u16, String, Option<String>) {
        let (s, page, _) = self.get_html(&format!("/link?{query}")).await;
        assert_eq!(s, 200, "{page}");
        let (s, page, loc) = self
            .post_form(
                "/link/login",
                &[
                    ("q", &hidden(&page, "q")),
                    ("username", user),
                    ("password", password),
                ],
            )
            .await;
        match sca {
            None => (s, page, loc),
            Some(answer) => {
                assert!(
                    page.contains("id=\"sca-answer\""),
                    "expected an SCA screen: {page}"
                );
                self.answer_sca(&page, answer).await
            }
        }
    }

    /// Submits `answer` on the link page's SCA screen `page`.
    pub async fn answer_sca(&self, page: &str, answer: &str) -> (u16, String, Option<String>) {
        self.post_form(
            "/link/sca",
            &[
                ("q", &hidden(page, "q")),
                ("attempt", &hidden(page, "attempt")),
                ("answer", answer),
            ],
        )
        .await
    }

    /// A new TestBank login through the default link, exchanged: its credentials_token.
    pub async fn link_new_credential(&self, token: &str, user: &str, password: &str) -> String {
        let (s, page, loc) = self
            .link_login(
                &format!("token={DEFAULT_LINK_TOKEN}&bank=testbank"),
                user,
                password,
                None,
            )
            .await;
        assert_eq!(s, 302, "{page}");
        let code = query_param(&loc.unwrap(), "code").unwrap();
        let (_, ex) = self.exchange(token, &code).await;
        ex["credentials_token"].as_str().unwrap().to_string()
    }

    /// The path (below the base URL) of a Connect v2 session's page, from a create-session answer.
    pub fn session_path(&self, created: &Value) -> String {
        created["session"]["url"]
            .as_str()
            .unwrap()
            .strip_prefix(&self.base)
            .unwrap()
            .to_string()
    }
}
