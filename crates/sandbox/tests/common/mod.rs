//! Shared helpers for the sandbox's contract tests: a started sandbox and a plain HTTP
//! client that does not follow redirects (so the 302s can be checked).
#![allow(dead_code)]

pub mod flanks;
pub mod flinks;

use advisor_desk_sandbox::{
    Sandbox, SandboxConfig, SandboxHandle, FLANKS_CLIENT_ID, FLANKS_CLIENT_SECRET,
};
use reqwest::{Client, Response};
use serde_json::{json, Value};

pub struct Env {
    pub sb: SandboxHandle,
    pub http: Client,
    pub base: String,
}

pub fn start() -> Env {
    start_with(SandboxConfig::default())
}

pub fn start_with(config: SandboxConfig) -> Env {
    let sb = Sandbox::start(config).expect("sandbox starts");
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = sb.base_url();
    Env { sb, http, base }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn flanks_token(&self) -> String {
        let v: Value = self
            .http
            .post(self.url("/v0/token"))
            .json(&json!({"client_id": FLANKS_CLIENT_ID, "client_secret": FLANKS_CLIENT_SECRET, "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        split(r).await
    }

    pub async fn get_html(&self, path_and_query: &str) -> (u16, String, Option<String>) {
        let r = self
            .http
            .get(self.url(path_and_query))
            .send()
            .await
            .unwrap();
        html(r).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let r = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap();
        html(r).await
    }
}

pub async fn split(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// (status, body, Location header)
pub async fn html(r: Response) -> (u16, String, Option<String>) {
    let status = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), loc)
}

/// The `value` of the hidden input called `name` (values are HTML-escaped by the pages).
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in page"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// `s` encoded as one query-string value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

pub fn query_param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}
