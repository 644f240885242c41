//! A household's counted rows, kept as the writes make them (migration 0018): everything its
//! page derives from its members' stored rows — totals, allocation, the listed accounts and
//! holdings, the monthly flows behind the history, the transaction count, each member's own
//! totals — counted once per change instead of once per page view.
//!
//! Why: a household's page read its members' rows on every view, so it cost about the largest
//! member's page plus three times what one more member's rows cost SQLite to hand over (issue
//! #15 wants it within 2× of that member's page). Read from here it costs one row.
//!
//! A stored row is only ever current or absent: the schema's triggers delete it in the same
//! statement as any change to what it was counted from, and [`refresh`] (run by
//! `Store::write` before every commit) counts the missing ones again from the same code the
//! page uses ([`SetRows::read`]). What depends on the time of reading — staleness, the
//! history's months, health — is applied when the page is read, never stored.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::reads::book::{totals, CurrencyTotal};
use crate::reads::client::SetRows;
use crate::reads::copies::Counted;
use crate::store::book_reads::BookReads;
use crate::store::queries::household_pages::{read, write};
use crate::store::queries::{Clients, Db, Tx};
use crate::sync::Connection;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HouseholdRows {
    /// The members the rows were counted for, in joining order.
    pub member_ids: Vec<i64>,
    pub set: SetRows,
    /// Each member's own net worth, as on their client page (a joint account counts for
    /// every member who reaches it).
    pub member_totals: Vec<(i64, Vec<CurrencyTotal>)>,
}

impl HouseholdRows {
    /// Counts the rows of `members` from their stored copies as they are now, with the
    /// monthly flows from the month of `since` on (ISO date).
    pub fn count(
        reads: &impl BookReads,
        members: &[i64],
        connections: &[Connection],
        since: String,
    ) -> Result<HouseholdRows> {
        let (set, copies) = SetRows::read(reads, members, connections, since)?;
        let own = copies.positions(Counted::EachClient);
        let member_totals = members
            .iter()
            .map(|&id| (id, totals(own.iter().filter(|p| p.client_id == id))))
            .collect();
        Ok(HouseholdRows {
            member_ids: members.to_vec(),
            set,
            member_totals,
        })
    }

    /// The household's stored rows, if it has them, they were counted for these members and
    /// they hold the months the history of `today` reads; `None` means count them.
    pub fn stored(
        reads: &impl BookReads,
        household_id: i64,
        members: &[i64],
        today: NaiveDate,
    ) -> Result<Option<HouseholdRows>> {
        let Some(json) = reads.household_page_rows(household_id)? else {
            return Ok(None);
        };
        // Rows a different build wrote in another shape are counted again, not trusted.
        let Ok(rows) = serde_json::from_str::<HouseholdRows>(&json) else {
            return Ok(None);
        };
        Ok((rows.member_ids == members && rows.set.covers(today)).then_some(rows))
    }
}

/// Counts and stores the rows of every household that has none (the triggers deleted them, or
/// the household is new), in the writer's transaction before it commits. A household that
/// cannot be counted is left without rows (its page counts them when read) rather than failing
/// the write that changed it.
pub(crate) fn refresh(tx: &Tx<'_>) -> Result<()> {
    let missing = read::missing(tx)?;
    if missing.is_empty() {
        return Ok(());
    }
    for household_id in missing {
        let counted = count_now(tx, household_id)
            .map_err(|e| e.to_string())
            .and_then(|rows| serde_json::to_string(&rows).map_err(|e| e.to_string()));
        match counted {
            Ok(json) => write::put(tx, household_id, &json)?,
            Err(error) => tracing::warn!(household_id, %error, "household rows not counted"),
        }
    }
    Ok(())
}

/// Every month of flows is kept (a few per currency and month of history, summed across the
/// accounts), so the rows serve the history of any later day, and of a clock set back.
const EVERY_MONTH: &str = "0000-01-01";

fn count_now(tx: &Tx<'_>, household_id: i64) -> Result<HouseholdRows> {
    let db: &Db = tx;
    let members = db.household_member_ids(household_id)?;
    let connections = db.connections_of(Clients(&members))?;
    HouseholdRows::count(db, &members, &connections, EVERY_MONTH.to_string())
}
