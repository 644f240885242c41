//! The references this desk puts in provider links and reads back.
//!
//! - [`session_ref`] `ads-<installation>-<session>`: names a link session (Flinks `tag`).
//!   Reconciliation re-attaches a credential only to an open session of this installation that
//!   is still waiting for it, so a reused or forged link cannot attach anything to a client. The
//!   installation part keeps two desks sharing one provider account apart.
//! - [`client_link_ref`] `ads-<installation>-<session>-c<client id>-<client name>`: the same,
//!   plus the client the link was made for. Flanks keeps it with the credential (`external_id`,
//!   returned by the credentials list) and with the link's one-use code (the `client_ref`
//!   extra parameter), so a book lost with its computer can be rebuilt from the provider alone
//!   (`book::rebuild`). It names the client by the book's id and by the name the advisor knows
//!   them by, never by anything secret: no token, no login, no e-mail or account number.

/// Longest client name written into a reference (characters): enough to recognise a person,
/// short enough for any provider's tag field.
pub const MAX_REF_NAME_CHARS: usize = 60;

/// What a reference made by some desk says (any installation's: the rebuild reads references
/// of a book that no longer exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReference {
    pub installation: String,
    pub session_id: i64,
    /// Absent in references made before links named their client.
    pub client: Option<ClientReference>,
}

/// The client a link was made for, as its book knew them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientReference {
    pub client_id: i64,
    /// The client's name (control characters dropped, spaces collapsed, cut to
    /// [`MAX_REF_NAME_CHARS`]); absent when the name had nothing printable.
    pub name: Option<String>,
}

pub fn session_ref(installation: &str, session_id: i64) -> String {
    format!("ads-{installation}-{session_id}")
}

/// The session reference naming the client too (see the module's comment).
pub fn client_link_ref(
    installation: &str,
    session_id: i64,
    client_id: i64,
    client_name: &str,
) -> String {
    let base = format!("{}-c{client_id}", session_ref(installation, session_id));
    match ref_name(client_name) {
        Some(name) => format!("{base}-{name}"),
        None => base,
    }
}

/// The name as written into a reference.
fn ref_name(name: &str) -> Option<String> {
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let joined: String = words.join(" ").chars().take(MAX_REF_NAME_CHARS).collect();
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Reads a reference made by any desk; `None` for anything else (another app's
/// `external_id`, a damaged one).
pub fn parse_link_ref(s: &str) -> Option<LinkReference> {
    let rest = s.strip_prefix("ads-")?;
    let (installation, rest) = rest.split_once('-')?;
    if installation.is_empty() || !installation.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (session, client) = match rest.split_once("-c") {
        Some((session, client)) => (session, Some(parse_client(client)?)),
        None => (rest, None),
    };
    Some(LinkReference {
        installation: installation.to_string(),
        session_id: positive_id(session)?,
        client,
    })
}

fn parse_client(s: &str) -> Option<ClientReference> {
    let (id, name) = match s.split_once('-') {
        Some((id, name)) => (id, ref_name(name)),
        None => (s, None),
    };
    Some(ClientReference {
        client_id: positive_id(id)?,
        name,
    })
}

fn positive_id(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|id: &i64| *id > 0)
}

/// The session id of a reference made by this installation; `None` for anything else.
pub fn parse_session_ref(s: &str, installation: &str) -> Option<i64> {
    parse_link_ref(s)
        .filter(|r| r.installation == installation)
        .map(|r| r.session_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "0123456789abcdef";

    #[test]
    fn session_refs_round_trip_and_refuse_anything_else() {
        assert_eq!(parse_session_ref(&session_ref(ME, 42), ME), Some(42));
        assert_eq!(
            parse_session_ref(&session_ref("fedcba9876543210", 42), ME),
            None
        );
        for bad in [
            "",
            "ads-",
            "ads-0123456789abcdef-0",
            "ads-0123456789abcdef--1",
            "ads-0123456789abcdef-x",
            "ads-0123456789abcdef",
            "42",
            "ads-42",
            "adc-0123456789abcdef-1",
            "ads-0123456789abcdef-1 ",
            "ads-0123456789abcdef-1-c",
            "ads-0123456789abcdef-1-c0-Ana",
            "ads-0123456789abcdef-1-cx-Ana",
            "advisor-client-0001",
        ] {
            assert_eq!(parse_session_ref(bad, ME), None, "{bad}");
        }
    }

    #[test]
    fn client_refs_name_the_client_and_still_name_the_session() {
        let r = client_link_ref(ME, 7, 3, "Ana María Ruiz-Gil");
        assert_eq!(r, "ads-0123456789abcdef-7-c3-Ana María Ruiz-Gil");
        assert_eq!(parse_session_ref(&r, ME), Some(7));
        assert_eq!(
            parse_link_ref(&r),
            Some(LinkReference {
                installation: ME.into(),
                session_id: 7,
                client: Some(ClientReference {
                    client_id: 3,
                    name: Some("Ana María Ruiz-Gil".into()),
                }),
            })
        );
        // An old reference names no client.
        assert_eq!(parse_link_ref(&session_ref(ME, 7)).unwrap().client, None);
    }

    #[test]
    fn names_are_cleaned_and_cut_so_a_reference_stays_one_short_line() {
        let r = client_link_ref(ME, 1, 2, "  Ana\n\tRuiz\u{7} ");
        assert!(r.ends_with("-c2-Ana Ruiz"), "{r}");
        let long = "Ñ".repeat(200);
        let r = client_link_ref(ME, 1, 2, &long);
        let name = parse_link_ref(&r).unwrap().client.unwrap().name.unwrap();
        assert_eq!(name.chars().count(), MAX_REF_NAME_CHARS);
        let r = client_link_ref(ME, 1, 2, " \n ");
        assert_eq!(r, "ads-0123456789abcdef-1-c2");
        assert_eq!(parse_link_ref(&r).unwrap().client.unwrap().name, None);
    }
}
