//! Every shape providers.md marks as a guess (or leaves open), in one place so a correction
//! against the real service is a one-line change. Each item says what we picked and why.

/// Data-error bodies of the Aggregation API: the docs give the numeric codes but not the
/// body. We pick `{"error": NAME, "code": N, "message": …}` with HTTP 400 (the docs list
/// 400 as the generic client-error status of v0).
pub const DATA_ERROR_STATUS: u16 = 400;

/// Connect v2 session page path (the response field name `url` is itself a guess).
pub fn session_page_path(session_id: &str) -> String {
    format!("/connect/session/{session_id}")
}

/// `scope` in the token answer: not documented beyond its presence.
pub const TOKEN_SCOPE: &str = "default";

/// `status` strings in `/v0/bank/credentials/list` items (sdk shape, values not documented).
pub const LIST_STATUS_PENDING: &str = "pending";
pub const LIST_STATUS_READY: &str = "ready";
pub const LIST_STATUS_SCA: &str = "pending_sca";
pub const LIST_STATUS_BLOCKED: &str = "blocked";
pub const LIST_PAGE_SIZE: usize = 50;

/// `errored` / `created` inner key: one doc version says `transaction`, another
/// `transactions`; we emit `transaction`.
pub const STATUS_TRANSACTION_KEY: &str = "transaction";

/// `last_update_timestamp` / `created_at_timestamp`: seconds since the epoch (the unit is
/// not documented).
pub const TIMESTAMPS_IN_SECONDS: bool = true;

/// Flinks: the numeric InstitutionId of Flinks Capital is not documented.
pub const FLINKS_CAPITAL_ID: i64 = 14;

/// Flinks: the numeric InstitutionIds of the OAuth banks (RBC, TD, BMO) are not documented.
pub const FLINKS_OAUTH_INSTITUTION_IDS: [i64; 3] = [1, 2, 3];

/// Flinks: an unknown LoginId on Authorize / DeleteCard answers 401 INVALID_LOGIN.
/// A RequestId still waiting for its MFA answer used for data answers 401 UNAUTHORIZED.
pub const FLINKS_UNAUTHORIZED_REQUEST_CODE: &str = "UNAUTHORIZED";

/// TestBank passwords the docs do not list but the sandbox needs to show documented
/// behaviour: `DELAYED` (success with `delayed=true`), `SCA_UNSUPPORTED` (Connect v2
/// `UnsupportedChallengeMethod`).
pub const PASSWORD_DELAYED: &str = "DELAYED";
pub const PASSWORD_SCA_UNSUPPORTED: &str = "SCA_UNSUPPORTED";
/// And `LOOSE_ANSWERS`: a credential whose answers come in the looser shapes of real ones
/// (`flanks/loose.rs`).
pub const PASSWORD_LOOSE_ANSWERS: &str = "LOOSE_ANSWERS";

/// Flinks `AuthorizeAsync` past the ~4-week reconnect window: the docs say only that any
/// answer other than 200 / 203 / 202 means Connect's credential step; we answer 401
/// `SESSION_EXPIRED` (a FlinksCode client libraries know).
pub const FLINKS_RECONNECT_EXPIRED_STATUS: u16 = 401;
pub const FLINKS_RECONNECT_EXPIRED_CODE: &str = "SESSION_EXPIRED";

/// Flinks `GetNightlyRefreshStatus`: documented as listing ineligible loginIds with the
/// reason, shape not given; we answer `{HttpStatusCode, LoginIds: [{LoginId, Reason}]}` (GET,
/// x-api-key) with this reason while nightly refresh is off.
pub const FLINKS_NIGHTLY_INELIGIBLE_REASON: &str =
    "Nightly refresh is not supported for this institution: the end user must be present";

/// Flinks: a cached Authorize answers 203 (seen in a real capture) — here for an MFA login
/// whose last live connection is older than the reconnect window.
pub const FLINKS_CACHED_MFA_AFTER_WINDOW: bool = true;

/// Flinks Connect's credential step path for one institution (`…/Credential/{InstitutionId}`,
/// from the mid-session reconnect article), under the widget's base.
pub const FLINKS_CREDENTIAL_STEP: &str = "/flinks-connect/v2/Credential/{institution}";
