//! Sends one logical call: waits for the provider's limiter, retries timeouts, connection
//! errors, 5xx and unreadable bodies with backoff and jitter, honours `Retry-After` on 429,
//! and logs every attempt (endpoint template, status, duration, request id; never a body,
//! a URL with ids in it, or a header).

use std::sync::Arc;
use std::time::{Duration, Instant};

use advisor_desk_core::domain::{FailureKind, Provider, ProviderFailure};
use advisor_desk_core::sync::{CallLog, ProviderCall};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;

use super::backoff::{backoff_delay, parse_retry_after};
use super::limiter::Limiter;
use crate::config::HttpPolicy;

/// Whether a call may be sent again after it may have reached the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads and deletes: resending is harmless.
    Safe,
    /// A one-use code exchange: only resent when it certainly did not arrive (connection
    /// refused) or the provider said so (429).
    OnceOnly,
}

/// One call. Deliberately not `Debug`: its body and headers may carry secrets.
pub struct Call {
    /// A path template for the log, e.g. `/v0/bank/credentials/status`.
    pub endpoint: &'static str,
    pub method: Method,
    pub url: String,
    /// Headers; secret ones are marked sensitive by the caller.
    pub headers: HeaderMap,
    pub json: Option<serde_json::Value>,
    pub idempotency: Idempotency,
}

impl Call {
    pub fn new(endpoint: &'static str, method: Method, url: String) -> Self {
        Call {
            endpoint,
            method,
            url,
            headers: HeaderMap::new(),
            json: None,
            idempotency: Idempotency::Safe,
        }
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.json = Some(body);
        self
    }

    /// Adds a header holding a secret: marked sensitive so reqwest never prints it.
    pub fn secret_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(mut v) = HeaderValue::from_str(value) {
            v.set_sensitive(true);
            self.headers.insert(name, v);
        }
        self
    }

    pub fn once_only(mut self) -> Self {
        self.idempotency = Idempotency::OnceOnly;
        self
    }
}

/// A provider's answer. Not `Debug` with the body: it may hold a token.
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

pub struct HttpClient {
    inner: reqwest::Client,
    provider: Provider,
    policy: HttpPolicy,
    limiter: Limiter,
    log: Arc<dyn CallLog>,
}

const REQUEST_ID_HEADERS: [&str; 4] = [
    "x-request-id",
    "request-id",
    "x-trace-id",
    "x-amzn-requestid",
];

enum Attempt {
    Answer(RawResponse),
    Failed {
        kind: FailureKind,
        connect: bool,
    },
    /// The body passed `max_body_bytes`: refused, never resent (it would be as large again).
    TooLarge,
}

impl HttpClient {
    pub fn new(
        provider: Provider,
        policy: HttpPolicy,
        log: Arc<dyn CallLog>,
    ) -> Result<Self, ProviderFailure> {
        let inner = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.connect_timeout)
            .user_agent(concat!("advisor-desk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ProviderFailure::new(FailureKind::Configuration)
                    .with_message(format!("cannot start the HTTP client: {e}"))
            })?;
        Ok(HttpClient {
            inner,
            provider,
            limiter: Limiter::new(policy.max_concurrency, policy.max_per_second),
            policy,
            log,
        })
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Sends `call`, retrying what is worth retrying. An HTTP error status that is not worth
    /// retrying (or still failing after the last try) is returned as `Ok` for the caller to
    /// classify; only transport failures and unreadable bodies are `Err`.
    pub async fn send(&self, call: &Call) -> Result<RawResponse, ProviderFailure> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let last = attempt >= self.policy.max_attempts.max(1);
            let permit = self.limiter.acquire().await;
            let started = Instant::now();
            let outcome = self.attempt(call).await;
            drop(permit);
            let elapsed = started.elapsed();
            match outcome {
                Attempt::Answer(resp) => {
                    let bad_body = resp.is_success()
                        && !resp.body.is_empty()
                        && serde_json::from_slice::<serde::de::IgnoredAny>(&resp.body).is_err();
                    let label = match resp.status {
                        _ if bad_body => "bad_body",
                        200..=299 => "ok",
                        429 => "rate_limited",
                        500..=599 => "http_5xx",
                        _ => "http_4xx",
                    };
                    self.record(
                        call,
                        Some(resp.status),
                        elapsed,
                        resp.request_id.clone(),
                        label,
                    );
                    let may_resend = call.idempotency == Idempotency::Safe;
                    let wait = match resp.status {
                        429 => {
                            let wait = resp.retry_after.unwrap_or_else(|| self.backoff(attempt));
                            if wait > self.policy.max_retry_after_wait {
                                return Ok(resp);
                            }
                            // Everyone calling this provider waits, not just this call.
                            self.limiter.pause_for(wait);
                            Some(wait)
                        }
                        500..=599 if may_resend => Some(self.backoff(attempt)),
                        _ if bad_body && may_resend => Some(self.backoff(attempt)),
                        _ => None,
                    };
                    match wait {
                        Some(wait) if !last => tokio::time::sleep(wait).await,
                        _ if bad_body => {
                            return Err(ProviderFailure::new(FailureKind::BadResponse)
                                .with_status(resp.status)
                                .with_endpoint(call.endpoint)
                                .with_message("the answer could not be read as JSON"))
                        }
                        _ => return Ok(resp),
                    }
                }
                Attempt::TooLarge => {
                    self.record(call, None, elapsed, None, "too_large");
                    return Err(ProviderFailure::new(FailureKind::BadResponse)
                        .with_endpoint(call.endpoint)
                        .with_message(format!(
                            "the answer is larger than {} MiB",
                            self.policy.max_body_bytes / (1024 * 1024)
                        )));
                }
                Attempt::Failed { kind, connect } => {
                    let label = if kind == FailureKind::Timeout {
                        "timeout"
                    } else {
                        "network"
                    };
                    self.record(call, None, elapsed, None, label);
                    let may_resend = call.idempotency == Idempotency::Safe || connect;
                    if last || !may_resend {
                        return Err(ProviderFailure::new(kind).with_endpoint(call.endpoint));
                    }
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
            }
        }
    }

    pub fn max_attempts(&self) -> u32 {
        self.policy.max_attempts.max(1)
    }

    /// The wait before retry number `attempt` (from 1), with jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        backoff_delay(self.policy.base_backoff, self.policy.max_backoff, attempt)
    }

    async fn attempt(&self, call: &Call) -> Attempt {
        let mut req = self
            .inner
            .request(call.method.clone(), &call.url)
            .headers(call.headers.clone());
        if let Some(body) = &call.json {
            req = req.json(body);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Failed {
                    kind: transport_kind(&e),
                    connect: e.is_connect(),
                }
            }
        };
        let status = resp.status().as_u16();
        let request_id = REQUEST_ID_HEADERS.iter().find_map(|h| {
            resp.headers()
                .get(*h)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(100).collect::<String>())
        });
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        match read_body(resp, self.policy.max_body_bytes).await {
            Ok(Some(body)) => Attempt::Answer(RawResponse {
                status,
                body,
                request_id,
                retry_after,
            }),
            Ok(None) => Attempt::TooLarge,
            // A body cut short (truncated, connection dropped) is worth another try.
            Err(e) => Attempt::Failed {
                kind: transport_kind(&e),
                connect: false,
            },
        }
    }

    fn record(
        &self,
        call: &Call,
        status: Option<u16>,
        elapsed: Duration,
        request_id: Option<String>,
        outcome: &str,
    ) {
        tracing::debug!(
            provider = self.provider.as_str(),
            endpoint = call.endpoint,
            status,
            ms = elapsed.as_millis() as u64,
            outcome,
            "provider call"
        );
        self.log.record(ProviderCall {
            at: chrono::Utc::now(),
            provider: self.provider,
            endpoint: call.endpoint.to_string(),
            status,
            duration_ms: elapsed.as_millis() as u64,
            request_id,
            outcome: outcome.to_string(),
        });
    }
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit` bytes (`Ok(None)`), so
/// a runaway or hostile answer cannot make the app allocate without bound.
async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn transport_kind(e: &reqwest::Error) -> FailureKind {
    if e.is_timeout() {
        FailureKind::Timeout
    } else if e.is_body() || e.is_decode() {
        FailureKind::BadResponse
    } else {
        FailureKind::Network
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advisor_desk_core::sync::CallBuffer;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-connection-per-answer HTTP server on loopback that always sends `answer`.
    async fn serve(answer: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        format!("http://{addr}/v0/x")
    }

    fn client(limit: usize, log: Arc<CallBuffer>) -> HttpClient {
        let policy = HttpPolicy {
            max_body_bytes: limit,
            max_per_second: 0,
            ..HttpPolicy::default()
        };
        HttpClient::new(Provider::Flanks, policy, log).unwrap()
    }

    fn json_body(len: usize) -> Vec<u8> {
        format!("\"{}\"", "a".repeat(len - 2)).into_bytes()
    }

    #[tokio::test]
    async fn an_answer_over_the_size_limit_is_refused_once_and_not_resent() {
        let body = json_body(4096);
        let sized = [
            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes(),
            body.clone(),
        ]
        .concat();
        // Chunked: no length announced, so only counting while reading can stop it.
        let chunked = [
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(),
            format!("{:x}\r\n", body.len()).into_bytes(),
            body.clone(),
            b"\r\n0\r\n\r\n".to_vec(),
        ]
        .concat();
        for answer in [sized, chunked] {
            let url = serve(answer).await;
            let log = Arc::new(CallBuffer::new());
            let http = client(1024, log.clone());
            let failure = http
                .send(&Call::new("/v0/x", Method::GET, url.clone()))
                .await
                .unwrap_err();
            assert_eq!(failure.kind, FailureKind::BadResponse);
            assert!(failure.to_string().contains("larger than"), "{failure}");
            let outcomes: Vec<String> = log.drain().into_iter().map(|c| c.outcome).collect();
            assert_eq!(outcomes, ["too_large"]);

            // The same answer under a limit it fits in is read whole.
            let roomy = client(8192, Arc::new(CallBuffer::new()));
            let ok = roomy
                .send(&Call::new("/v0/x", Method::GET, url))
                .await
                .unwrap();
            assert_eq!(ok.body, body);
        }
    }
}
