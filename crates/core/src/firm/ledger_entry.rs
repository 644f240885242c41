//! How one pending link result is written into its keychain entry: a magic line, one JSON line
//! of the facts that are not secret, and the token last, on its own line. The token is never
//! put through serde (whose intermediate strings are not wiped); it is cut out of the entry's
//! text straight into a [`Secret`].

use serde::{Deserialize, Serialize};

use super::ledger::PendingLink;
use crate::domain::Provider;
use crate::secrets::Secret;
use crate::time::{self, Timestamp};

const MAGIC: &str = "advisor-desk-pending-link 1";

/// The entry's second line.
#[derive(Serialize, Deserialize)]
struct Facts {
    session_id: i64,
    client_id: i64,
    provider: Provider,
    institution: Option<String>,
    obtained_at: String,
}

/// Why a token cannot be kept as one line of an entry (a provider never issues one like it).
pub(crate) fn token_problem(token: &Secret) -> Option<&'static str> {
    if token.is_empty() {
        Some("the token is empty")
    } else if token.expose().chars().any(char::is_control) {
        Some("the token holds control characters")
    } else {
        None
    }
}

pub(crate) fn encode(link: &PendingLink) -> Secret {
    let facts = Facts {
        session_id: link.session_id,
        client_id: link.client_id,
        provider: link.provider,
        institution: link.institution.clone(),
        // Every digit of the time, so an entry reads back exactly as it was kept.
        obtained_at: link
            .obtained_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    };
    // Serialising plain numbers and strings cannot fail.
    let facts = serde_json::to_string(&facts).unwrap_or_default();
    Secret::new(format!("{MAGIC}\n{facts}\n{}", link.token.expose()))
}

/// The entry's result, or what is wrong with it (never quoting the entry: it holds the token).
pub(crate) fn decode(entry: &Secret) -> Result<PendingLink, &'static str> {
    let text = entry.expose();
    let (magic, rest) = text.split_once('\n').ok_or("no header line")?;
    if magic != MAGIC {
        return Err("not a pending link result of this version");
    }
    let (facts, token) = rest.split_once('\n').ok_or("no token line")?;
    let facts: Facts = serde_json::from_str(facts).map_err(|_| "the facts line is not valid")?;
    let obtained_at: Timestamp =
        time::from_db(&facts.obtained_at).ok_or("the time it was obtained is not valid")?;
    let token = Secret::new(token);
    if let Some(problem) = token_problem(&token) {
        return Err(problem);
    }
    Ok(PendingLink {
        session_id: facts.session_id,
        client_id: facts.client_id,
        provider: facts.provider,
        token,
        institution: facts.institution,
        obtained_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> PendingLink {
        PendingLink {
            session_id: 7,
            client_id: 3,
            provider: Provider::Flanks,
            token: Secret::new("ctok-7f3a-b9"),
            institution: Some("testbank".into()),
            obtained_at: time::from_db("2026-12-05T03:00:00.000Z").unwrap(),
        }
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let entry = encode(&link());
        let back = decode(&entry).unwrap();
        assert_eq!(back, link());
        assert!(entry.expose().ends_with("\nctok-7f3a-b9"));
    }

    #[test]
    fn a_damaged_entry_is_named_without_quoting_it() {
        let good = encode(&link());
        let cases = [
            "ctok-7f3a-b9".to_string(),
            good.expose().replace(MAGIC, "advisor-desk-pending-link 9"),
            good.expose()
                .replace("\"session_id\":7", "\"session_id\":\"x\""),
            good.expose().replace("2026-12-05", "yesterday"),
            good.expose().replace("ctok-7f3a-b9", ""),
            good.expose().replace("ctok-7f3a-b9", "ctok\u{7}"),
        ];
        for case in cases {
            let problem = decode(&Secret::new(case)).unwrap_err();
            assert!(!problem.contains("ctok"), "{problem}");
        }
    }
}
