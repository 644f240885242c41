//! What the advisor reads when a link flow ends badly: the provider's wording for its code and
//! a clear next step. Unknown codes still get a generic, honest sentence.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Wording {
    pub message: String,
    pub next_step: String,
}

fn w(message: &str, next_step: &str) -> Wording {
    Wording {
        message: message.to_string(),
        next_step: next_step.to_string(),
    }
}

/// Flanks rollback codes, Connect v2 error codes, Flinks error events, and our own outcomes.
pub fn for_code(code: &str) -> Wording {
    match code {
        "INVALID_CREDENTIALS" | "InvalidCredentials" | "INVALID_LOGIN" => w(
            "The bank rejected the user or password.",
            "Ask the client to check their online-banking login and try again.",
        ),
        "INVALID_SCA" | "InvalidChallengeResponse" | "INVALID_SECURITY_RESPONSE" => w(
            "The bank rejected the security confirmation.",
            "Try again; the client must answer the bank's challenge exactly.",
        ),
        "CREDENTIALS_ALREADY_EXIST" => w(
            "This bank login is already connected to Advisor Desk.",
            "Map the existing connection to this client instead of connecting it again.",
        ),
        "ABORTED_BY_USER" | "COMPONENT_CLOSE_SESSION" | "closed_by_user" => w(
            "The connection was cancelled before it finished.",
            "Start again when the client is ready.",
        ),
        "COMPONENT_DENY_CONSENT" => w(
            "The client did not give consent to share the data.",
            "Explain why the data is needed and start again if the client agrees.",
        ),
        "USER_INTERACTION_NEEDED" | "UserInteractionNeeded" => w(
            "The bank needs the client to do something on its own website or app first.",
            "Ask the client to log in to their bank directly, then start again.",
        ),
        "UnsupportedChallengeMethod" => w(
            "The bank asked for a kind of confirmation the provider cannot handle.",
            "Try again later or choose another connection method.",
        ),
        "POPUP_BLOCKED" => w(
            "The bank's sign-in window could not be opened from the link window.",
            "Start the connection again and ask the client to press the button that opens the \
             bank's page themselves: a window opened without a click is refused.",
        ),
        "DISABLED_LOGIN" => w(
            "The bank has disabled this login.",
            "Ask the client to contact their bank, then start again.",
        ),
        "DISABLED_INSTITUTION" => w(
            "The provider cannot connect to this bank at the moment.",
            "Try again later.",
        ),
        "RETRY_LATER" | "INTERNAL_ERROR" | "InternalError" | "AGGREGATION_ERROR" => w(
            "The provider or the bank had a temporary problem.",
            "Try again in a few minutes.",
        ),
        "SESSION_NONEXISTENT" | "SESSION_EXPIRED" | "expired" => w(
            "The connection request expired before it was finished.",
            "Start a new connection or send a new link.",
        ),
        "different_login" => w(
            "The client logged in with a different bank login than the one being reauthorized.",
            "Start the reauthorization again and ask the client to use the same login.",
        ),
        "exchange_lost" => w(
            "The connection result could not be recovered from the provider.",
            "Start the connection again; nothing was stored.",
        ),
        other => Wording {
            message: format!("The provider ended the connection with the code {other}."),
            next_step: "Try again; if it keeps failing, contact support with this code."
                .to_string(),
        },
    }
}
