//! The advisor's clients: a person or a household.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
pub use crate::settings::UiLocale as Language;
use crate::store::book_reads::BookReads;
use crate::store::queries::{clients, Tx};
use crate::store::{audit, Store};
use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Person,
    Household,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Person => "person",
            ClientKind::Household => "household",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(ClientKind::Person),
            "household" => Some(ClientKind::Household),
            _ => None,
        }
    }
}

/// What the advisor types when adding a client.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct NewClient {
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub kind: Option<ClientKind>,
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub email: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub phone: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub notes: Option<String>,
    // The language of messages sent to the client; English when not given.
    #[serde(default)]
    #[cfg_attr(feature = "ipc-types", ts(optional = nullable))]
    pub language: Option<Language>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct Client {
    pub id: i64,
    pub kind: ClientKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: String,
    /// The language of messages sent to the client (links to reauthorize…).
    pub language: Language,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_NOTES_LEN: usize = 10_000;

/// A validated client, ready to insert (on either engine: [`ValidClient::row`]).
pub struct ValidClient {
    kind: ClientKind,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    notes: String,
    language: Language,
}

impl ValidClient {
    /// The row both engines' `clients` insert takes.
    pub fn row(&self) -> clients::write::ClientRow<'_> {
        clients::write::ClientRow {
            kind: self.kind,
            name: &self.name,
            email: self.email.as_deref(),
            phone: self.phone.as_deref(),
            notes: &self.notes,
            language: self.language,
        }
    }
}

/// The book's rules for a new client: a name, a plausible e-mail and phone, bounded notes.
pub fn validate(input: &NewClient) -> Result<ValidClient> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid("a client needs a name"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(CoreError::invalid(format!(
            "a client's name can be at most {MAX_NAME_LEN} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "a client's name cannot contain control characters",
        ));
    }
    let email = valid_email(&input.email)?;
    let phone = non_empty(&input.phone);
    if let Some(p) = &phone {
        let plausible = p.len() <= 40
            && p.chars().any(|c| c.is_ascii_digit())
            && p.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if !plausible {
            return Err(CoreError::invalid(format!("\"{p}\" is not a phone number")));
        }
    }
    let notes = input.notes.as_deref().unwrap_or("").trim().to_string();
    if notes.chars().count() > MAX_NOTES_LEN {
        return Err(CoreError::invalid(format!(
            "notes can be at most {MAX_NOTES_LEN} characters"
        )));
    }
    Ok(ValidClient {
        kind: input.kind.unwrap_or(ClientKind::Person),
        name: name.to_string(),
        email,
        phone,
        notes,
        language: input.language.unwrap_or(Language::En),
    })
}

/// A trimmed e-mail address that looks deliverable, or `None` when left empty.
pub fn valid_email(input: &Option<String>) -> Result<Option<String>> {
    let email = non_empty(input);
    if let Some(e) = &email {
        let plausible = e.len() <= 254
            && !e.chars().any(char::is_whitespace)
            && e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
        if !plausible {
            return Err(CoreError::invalid(format!(
                "\"{e}\" is not an e-mail address"
            )));
        }
    }
    Ok(email)
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A case- and accent-insensitive key for sorting names in the languages we serve.
pub fn sort_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// Adds a client and its audit entry in one transaction. `actor` says who asked
/// (`advisor` in the app, `cli` from the command line).
pub fn add(store: &Store, input: &NewClient, actor: &str) -> Result<Client> {
    let id = store.write(|tx| add_in(tx, input, actor))?;
    get(store, id)
}

/// [`add`] inside the caller's transaction, for a client created together with something
/// else that must commit with it (the rebuild's first connection of a client).
pub(crate) fn add_in(tx: &Tx<'_>, input: &NewClient, actor: &str) -> Result<i64> {
    let v = validate(input)?;
    let id = clients::write::insert(tx, &v.row(), time::now())?;
    audit::append(
        tx,
        &audit::NewAuditEntry {
            actor,
            client_id: Some(id),
            connection_id: None,
            action: "client.added",
            detail: "",
        },
    )?;
    Ok(id)
}

pub fn get(store: &Store, id: i64) -> Result<Client> {
    store.read(|db| get_from(db, id))
}

/// [`get`] from either engine's reader.
pub fn get_from(reads: &impl BookReads, id: i64) -> Result<Client> {
    reads
        .client(id)?
        .ok_or_else(|| CoreError::not_found("client", id))
}

/// Sets how a client is reached: the e-mail address (empty removes it) and the language of
/// messages sent to them. Audited.
pub fn set_contact(
    store: &Store,
    id: i64,
    email: &Option<String>,
    language: Language,
    actor: &str,
) -> Result<Client> {
    let email = valid_email(email)?;
    store.write(|tx| {
        if !clients::write::set_contact(tx, id, email.as_deref(), language, time::now())? {
            return Err(CoreError::not_found("client", id));
        }
        audit::append(
            tx,
            &audit::NewAuditEntry {
                actor,
                client_id: Some(id),
                connection_id: None,
                action: "client.contact_changed",
                detail: language.as_str(),
            },
        )
    })?;
    get(store, id)
}

/// Clients sorted by name; archived ones only when asked.
pub fn list(store: &Store, include_archived: bool) -> Result<Vec<Client>> {
    store.read(|db| list_from(db, include_archived))
}

/// [`list`] from either engine's reader.
pub fn list_from(reads: &impl BookReads, include_archived: bool) -> Result<Vec<Client>> {
    let mut rows = reads.clients(include_archived)?;
    // SQLite's NOCASE folds ASCII only; "Álvarez" belongs before "Beatriz".
    rows.sort_by_cached_key(|c| (sort_key(&c.name), c.id));
    Ok(rows)
}

/// Archives a client: hidden from the book, data kept. Archiving twice is harmless.
pub fn archive(store: &Store, id: i64, actor: &str) -> Result<Client> {
    store.write(|tx| {
        if !clients::write::archive(tx, id, time::now())? {
            if clients::read::archived(tx, id)?.is_none() {
                return Err(CoreError::not_found("client", id));
            }
            return Ok(());
        }
        audit::append(
            tx,
            &audit::NewAuditEntry {
                actor,
                client_id: Some(id),
                connection_id: None,
                action: "client.archived",
                detail: "",
            },
        )
    })?;
    get(store, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        Store::open_in_memory().unwrap()
    }

    #[test]
    fn add_list_show_archive() {
        let s = store();
        let b = add(
            &s,
            &NewClient {
                name: " Beatriz Ruiz ".into(),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
        let a = add(
            &s,
            &NewClient {
                kind: Some(ClientKind::Household),
                name: "Álvarez family".into(),
                email: Some("alvarez@example.es".into()),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
        assert_eq!(b.name, "Beatriz Ruiz");
        assert_eq!(a.kind, ClientKind::Household);
        let names: Vec<_> = list(&s, false)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["Álvarez family", "Beatriz Ruiz"]);

        let archived = archive(&s, b.id, "test").unwrap();
        assert!(archived.archived);
        assert_eq!(list(&s, false).unwrap().len(), 1);
        assert_eq!(list(&s, true).unwrap().len(), 2);
        // Archiving again is harmless and writes no second audit entry.
        archive(&s, b.id, "test").unwrap();
        let actions: Vec<_> = s
            .audit_log(10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions,
            vec!["client.archived", "client.added", "client.added"]
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_message() {
        let s = store();
        for (input, needle) in [
            (
                NewClient {
                    name: "   ".into(),
                    ..Default::default()
                },
                "needs a name",
            ),
            (
                NewClient {
                    name: "x".repeat(201),
                    ..Default::default()
                },
                "at most 200",
            ),
            (
                NewClient {
                    name: "A\u{0}B".into(),
                    ..Default::default()
                },
                "control",
            ),
            (
                NewClient {
                    name: "A".into(),
                    email: Some("not-an-email".into()),
                    ..Default::default()
                },
                "e-mail",
            ),
            (
                NewClient {
                    name: "A".into(),
                    phone: Some("call me".into()),
                    ..Default::default()
                },
                "phone",
            ),
        ] {
            let err = add(&s, &input, "test").unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
            assert!(err.to_string().contains(needle), "{err}");
        }
        assert!(list(&s, true).unwrap().is_empty());
    }

    #[test]
    fn unknown_client_is_not_found() {
        let s = store();
        assert_eq!(get(&s, 42).unwrap_err().code(), crate::ErrorCode::NotFound);
        assert_eq!(
            archive(&s, 42, "t").unwrap_err().code(),
            crate::ErrorCode::NotFound
        );
    }

    #[test]
    fn audit_log_cannot_be_rewritten() {
        let s = store();
        add(
            &s,
            &NewClient {
                name: "A".into(),
                ..Default::default()
            },
            "test",
        )
        .unwrap();
        let err = s
            .write(|tx| Ok(tx.execute("DELETE FROM audit_log", [])?))
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}
