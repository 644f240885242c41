//! The sandbox's mutable world: credentials, links, codes, sessions, Flinks logins and
//! requests. One mutex guards it; handlers never hold it across an await.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::book::{self, FlanksData, FlinksLogin};
use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::control::secrets::SecretKind;
use crate::faults::FaultTable;
use crate::rng::Rng;
use crate::{DEFAULT_LINK_TOKEN, DEFAULT_REDIRECT_URI};

/// The challenge kinds TestBank can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaKind {
    Sms,
    App,
    Code,
    Email,
}

impl ScaKind {
    pub fn from_password(p: &str) -> Option<ScaKind> {
        match p {
            "SCA_SMS" => Some(ScaKind::Sms),
            "SCA_APP" => Some(ScaKind::App),
            "SCA_CODE" => Some(ScaKind::Code),
            "SCA_EMAIL" => Some(ScaKind::Email),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Cred {
    pub data: FlanksData,
    pub password: String,
    pub created_at: DateTime<Utc>,
    /// `pending` until the clock passes this.
    pub ready_at: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    pub sca_token: Option<String>,
    pub reset_token: Option<String>,
    pub transaction_token: Option<String>,
    pub blocked: bool,
    pub sca_kind: ScaKind,
    pub account_errored: bool,
}

impl Cred {
    pub fn pending(&self, now: DateTime<Utc>) -> bool {
        now < self.ready_at
    }
    /// Pending SCA or Blocked: data readable but frozen.
    pub fn frozen(&self) -> bool {
        self.sca_token.is_some() || self.blocked
    }
}

#[derive(Debug, Clone)]
pub struct Link {
    pub token: String,
    pub name: String,
    pub redirect_uri: String,
    pub company_name: String,
    pub terms_and_conditions_url: String,
    pub privacy_policy_url: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct LinkCode {
    pub code: String,
    pub link_token: String,
    pub credentials_token: String,
    pub extra: Map<String, Value>,
    pub delayed: bool,
    pub release_at: DateTime<Utc>,
    pub used: bool,
}

impl LinkCode {
    pub fn held(&self, now: DateTime<Utc>) -> bool {
        self.delayed && now < self.release_at
    }
}

/// A link-page login waiting for its SCA answer (or a Connect v2 session's).
#[derive(Debug, Clone)]
pub struct Attempt {
    pub bank: String,
    pub username: String,
    pub password: String,
    pub kind: ScaKind,
    /// Reauthorising an existing credential (sca / reset / transaction flows).
    pub existing: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub session_id: String,
    pub status: &'static str,
    pub connection_id: Option<String>,
    pub error_code: Option<&'static str>,
    pub redirect_url: String,
    pub connector_ids: Vec<String>,
    pub attempt: Option<Attempt>,
    /// What the "Processing:*" step resolves to when the page continues.
    pub next: Option<SessionNext>,
    /// Reconnecting this existing connection (credentials_token) instead of adding one.
    pub reconnect: Option<String>,
}

#[derive(Debug, Clone)]
pub enum SessionNext {
    Challenge,
    Finish(Result<String, &'static str>),
}

#[derive(Debug, Clone)]
pub struct FlinksLoginState {
    pub data: FlinksLogin,
    /// When the data last moved (a live connection, or a nightly refresh where it works).
    pub last_refresh: DateTime<Utc>,
    /// The last live connection: a reconnect with `requestId` works within four weeks of it.
    pub last_connected: DateTime<Utc>,
    /// `IsScheduledRefresh`, set with `SetScheduledRefresh`; on by default.
    pub scheduled_refresh: bool,
}

impl FlinksLoginState {
    /// New movements up to `now`'s day; the data has moved.
    pub fn refresh_data(&mut self, now: DateTime<Utc>) {
        for a in &mut self.data.accounts {
            book::extend_account(a, now.date_naive());
        }
        self.last_refresh = now;
    }

    pub fn new(data: FlinksLogin, at: DateTime<Utc>) -> Self {
        FlinksLoginState {
            data,
            last_refresh: at,
            last_connected: at,
            scheduled_refresh: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Detail,
    Summary,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub kind: JobKind,
    pub ready_at: DateTime<Utc>,
    pub body: Value,
}

#[derive(Debug, Clone)]
pub struct FlinksRequest {
    pub login_id: String,
    pub created: DateTime<Utc>,
    pub authorized: bool,
    /// The MFA prompt still to be answered.
    pub challenge: Option<&'static str>,
    pub job: Option<Job>,
    /// A live connection (not `MostRecentCached`): authorising it refreshes the data.
    pub live: bool,
    /// The last time the RequestId was used: it lapses after 8 minutes idle while waiting.
    pub last_used: DateTime<Utc>,
    /// `AuthorizeAsync`: when the bank has been reached and the poll can answer.
    pub async_ready_at: Option<DateTime<Utc>>,
}

pub struct World {
    pub rng: Rng,
    pub today: NaiveDate,
    pub creds: Vec<Cred>,
    pub links: Vec<Link>,
    pub codes: Vec<LinkCode>,
    pub access_tokens: HashMap<String, DateTime<Utc>>,
    pub attempts: HashMap<String, Attempt>,
    pub sessions: Vec<Session>,
    pub flinks: Vec<FlinksLoginState>,
    pub deleted_logins: HashMap<String, u64>,
    pub authorize_tokens: HashMap<String, DateTime<Utc>>,
    pub requests: HashMap<String, FlinksRequest>,
    /// Flinks nightly refresh, off by default as it now is for most institutions; the
    /// control plane turns it on (`/_sandbox/flinks/nightly`) for Flinks Capital.
    pub flinks_nightly: bool,
    pub counter: u64,
    /// Every secret handed out, in order (`GET /_sandbox/secrets`): short-lived ones leave
    /// the maps above once used or expired.
    pub issued: Vec<(SecretKind, String)>,
    /// Bank authorizations in progress (OAuth institutions, PSD2 connectors), by state.
    pub grants: HashMap<String, crate::bank::Grant>,
    /// How Flinks Connect's `REDIRECT` event carries its result.
    pub redirect_event: RedirectEvent,
}

/// How Flinks Connect ends (`POST /_sandbox/flinks/redirect-event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RedirectEvent {
    pub form: RedirectEventForm,
    /// `false`: the widget only posts the event and does not navigate to `redirectUrl`
    /// itself, as with `jsRedirect=true` (the page embedding it must act on the event).
    #[serde(default = "navigates")]
    pub navigate: bool,
}

fn navigates() -> bool {
    true
}

impl Default for RedirectEvent {
    fn default() -> Self {
        RedirectEvent {
            form: RedirectEventForm::default(),
            navigate: true,
        }
    }
}

/// The two documented shapes of Flinks Connect's `REDIRECT` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectEventForm {
    /// Newer docs: `{step, loginId, requestId, institution}`.
    #[default]
    Fields,
    /// Older docs: `{step, institution, url}`, the url holding loginId and institution.
    Url,
}

impl World {
    pub fn seeded(config: &SandboxConfig, now: DateTime<Utc>) -> World {
        let today = config.today.unwrap_or_else(|| now.date_naive());
        let book = book::generate(config.seed, config.credentials, today);
        let long_ago = now - Duration::days(730);
        let refreshed = now - Duration::hours(3);
        let creds = book
            .flanks
            .into_iter()
            .map(|data| Cred {
                data,
                password: "sandbox".to_string(),
                created_at: long_ago,
                ready_at: long_ago,
                last_update: refreshed,
                sca_token: None,
                reset_token: None,
                transaction_token: None,
                blocked: false,
                sca_kind: ScaKind::Sms,
                account_errored: false,
            })
            .collect();
        let flinks = book
            .flinks
            .into_iter()
            .map(|data| FlinksLoginState::new(data, refreshed))
            .collect();
        World {
            rng: Rng::derive(config.seed, "world", 0),
            today,
            creds,
            links: vec![Link {
                token: DEFAULT_LINK_TOKEN.to_string(),
                name: "Advisor Desk".to_string(),
                redirect_uri: DEFAULT_REDIRECT_URI.to_string(),
                company_name: "Advisor Desk".to_string(),
                terms_and_conditions_url: "https://advisordesk.example/terms".to_string(),
                privacy_policy_url: "https://advisordesk.example/privacy".to_string(),
                active: true,
            }],
            codes: Vec::new(),
            access_tokens: HashMap::new(),
            attempts: HashMap::new(),
            sessions: Vec::new(),
            flinks,
            deleted_logins: HashMap::new(),
            authorize_tokens: HashMap::new(),
            requests: HashMap::new(),
            flinks_nightly: false,
            counter: 0,
            issued: Vec::new(),
            grants: HashMap::new(),
            redirect_event: RedirectEvent::default(),
        }
    }

    /// A fresh recognisable id: `prefix` + 24 hex chars from the seeded stream.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.rng.hex(24))
    }

    /// Records a secret value handed to a caller.
    pub fn issue(&mut self, kind: SecretKind, value: &str) {
        self.issued.push((kind, value.to_string()));
    }

    pub fn cred(&self, token: &str) -> Option<&Cred> {
        self.creds.iter().find(|c| c.data.token == token)
    }

    pub fn cred_mut(&mut self, token: &str) -> Option<&mut Cred> {
        self.creds.iter_mut().find(|c| c.data.token == token)
    }

    pub fn link(&self, token: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.token == token)
    }

    pub fn login_mut(&mut self, login_id: &str) -> Option<&mut FlinksLoginState> {
        self.flinks.iter_mut().find(|l| l.data.login_id == login_id)
    }

    /// The daily refresh: every credential that is ready and neither Pending SCA nor
    /// Blocked gets new movements up to `today` and a new `last_update`.
    pub fn refresh(&mut self, now: DateTime<Utc>) -> usize {
        let today = now.date_naive();
        self.today = self.today.max(today);
        let mut n = 0;
        for c in &mut self.creds {
            if c.pending(now) || c.frozen() {
                continue;
            }
            book::extend_until(&mut c.data, today);
            c.last_update = now;
            n += 1;
        }
        if self.flinks_nightly {
            for l in self.flinks.iter_mut().filter(|l| l.scheduled_refresh) {
                l.refresh_data(now);
            }
        }
        n
    }
}

/// The sandbox's two origins: the providers' (APIs and pages) and the banks' own pages, on
/// another loopback port so a bank page is cross-origin to the provider page that opened it.
#[derive(Debug, Clone)]
pub struct Origins {
    pub provider: String,
    pub bank: String,
}

pub struct AppState {
    pub config: SandboxConfig,
    pub origins: Origins,
    pub clock: Clock,
    pub world: Mutex<World>,
    pub faults: Mutex<FaultTable>,
    pub stats: Mutex<BTreeMap<String, u64>>,
}

impl AppState {
    pub fn new(config: SandboxConfig, origins: Origins) -> AppState {
        let clock = Clock::default();
        let world = World::seeded(&config, clock.now());
        AppState {
            origins,
            faults: Mutex::new(FaultTable::new(config.seed)),
            world: Mutex::new(world),
            stats: Mutex::new(BTreeMap::new()),
            clock,
            config,
        }
    }

    /// Locks the world. A poisoned lock (a handler panicked) is recovered: the data is
    /// plain values and stays usable.
    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn reset(&self) {
        self.clock.reset();
        let fresh = World::seeded(&self.config, self.clock.now());
        *self.world() = fresh;
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = FaultTable::new(self.config.seed);
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
