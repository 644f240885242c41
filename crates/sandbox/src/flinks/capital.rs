//! Flinks Capital, the test institution: users, password and MFA questions exactly as the
//! docs give them, plus the seeded book's users (same password, no MFA).

pub const INSTITUTION: &str = "FlinksCapital";
pub const PASSWORD: &str = "Everyday";

/// (prompt, answer)
pub const QUESTIONS: &[(&str, &str)] = &[
    ("What city were you born in?", "Montreal"),
    ("What is the best country on earth?", "Canada"),
    ("What shape do people like most?", "Triangle"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Mfa,
    NoMfa,
    Disabled,
    ServiceUnavailable,
    Dispatched,
    Pending,
}

/// The scenario a username selects; `None` = no such user.
pub fn scenario(username: &str) -> Option<Scenario> {
    match username {
        u if u.eq_ignore_ascii_case("Greatday") => Some(Scenario::Mfa),
        "greatday_nomfa" => Some(Scenario::NoMfa),
        "test_disabled_account" => Some(Scenario::Disabled),
        "test_service_unavailable" => Some(Scenario::ServiceUnavailable),
        "test_dispatched" => Some(Scenario::Dispatched),
        "test_pending" => Some(Scenario::Pending),
        // Looser answers (`loose.rs`): behaves as a login without MFA.
        super::loose::USERNAME => Some(Scenario::NoMfa),
        // Names a holder who is nobody in the book (`book::link_holders`): no MFA.
        crate::book::link_holders::FLINKS_OTHER_HOLDER_USER => Some(Scenario::NoMfa),
        u if u.starts_with("sbx_client_") => Some(Scenario::NoMfa),
        _ => None,
    }
}

pub fn answer_for(prompt: &str) -> Option<&'static str> {
    QUESTIONS
        .iter()
        .find(|(q, _)| *q == prompt)
        .map(|(_, a)| *a)
}

pub fn prompt(index: u64) -> &'static str {
    QUESTIONS[(index % QUESTIONS.len() as u64) as usize].0
}
