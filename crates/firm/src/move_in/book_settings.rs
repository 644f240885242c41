//! The solo book's settings that are the book's rules rather than the desktop's: how long
//! Flinks data may stay unchanged before it is frozen, and the SCA consent period the outlook
//! counts with. In the firm they are firm-wide (`firm_settings`, which the firm's reads use and
//! only its administrator writes), so the first book the administrator moves in sets the ones
//! the firm has none of; a book whose value differs from the firm's keeps it at home, listed in
//! the move's report as provider keys are.

use advisor_desk_core::reads::consent::CONSENT_PERIOD_SETTING;
use advisor_desk_core::store::queries::settings;
use advisor_desk_core::sync::freshness::FROZEN_AFTER_DAYS_SETTING;
use postgres::Transaction;

use super::carried::{CarriedOver, Verdict};
use super::error::MoveInError;

/// The settings that move with a book.
pub const BOOK_SETTINGS: &[&str] = &[FROZEN_AFTER_DAYS_SETTING, CONSENT_PERIOD_SETTING];

/// What happened to the book's settings.
pub type BookSettings = CarriedOver;

/// Carries each book setting the solo book has set into `firm_settings` (see the module
/// comment). A value equal to the firm's is already the firm's: nothing to say.
pub(super) fn carry_book_settings(
    solo: &rusqlite::Connection,
    tx: &mut Transaction<'_>,
) -> Result<BookSettings, MoveInError> {
    let is_admin: bool = tx.query_one("SELECT firm_is_admin()", &[])?.get(0);
    let mut outcome = BookSettings::default();
    for &key in BOOK_SETTINGS {
        let Some(value) = settings::read::value(solo, key)? else {
            continue;
        };
        let firm: Option<String> = tx
            .query_opt("SELECT value FROM firm_settings WHERE key = $1", &[&key])?
            .map(|r| r.get(0));
        if firm.as_deref() == Some(value.as_str()) {
            continue;
        }
        let verdict = Verdict::of(firm.is_some(), is_admin);
        if let Verdict::Carry = verdict {
            tx.execute(
                "INSERT INTO firm_settings (key, value) VALUES ($1, $2)",
                &[&key, &value],
            )?;
        }
        outcome.note(&verdict, format!("{key} = {value}"));
    }
    Ok(outcome)
}
