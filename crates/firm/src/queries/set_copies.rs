//! Every stored copy of a set's accounts, holdings and liabilities, as the core's
//! `store::queries::set_copies::read`: no de-duplication here (the core's `reads::copies` does
//! it), each copy with its client and the date that ranks it, in the core's text form.
//!
//! Each kind's columns are read `FROM book_connections c JOIN <table> x ON x.connection_id =
//! c.id`; the client page's one statement (`client_page`) reads them the same way.

use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use advisor_desk_core::time::{self, Timestamp};
use postgres::Row;

/// An account copy's columns (`x`: `accounts`, `c`: its `book_connections` row).
pub(crate) const ACCOUNT_COLUMNS: &str = "x.id, x.connection_id, c.client_id, x.dedupe_key, \
     x.kind, x.name, x.number_masked, x.currency, x.balance_minor, x.asset_class, x.as_of, \
     x.presence = 'active', coalesce(x.as_of, c.data_as_of, c.last_success_at), \
     (SELECT string_agg(o.owner_name, chr(31)) FROM account_owners o WHERE o.account_id = x.id)";

/// A holding copy's columns (`x`: `holdings`).
pub(crate) const HOLDING_COLUMNS: &str = "x.id, x.connection_id, c.client_id, x.account_id, \
     x.dedupe_key, x.name, x.isin, x.asset_class, x.units, x.value_minor, x.currency, x.as_of, \
     coalesce(x.as_of, c.data_as_of, c.last_success_at)";

/// A liability copy's columns (`x`: `liabilities`).
pub(crate) const LIABILITY_COLUMNS: &str = "x.id, x.connection_id, c.client_id, x.dedupe_key, \
     x.currency, x.balance_minor, coalesce(x.as_of, c.data_as_of, c.last_success_at)";

fn text_time(r: &Row, i: usize) -> Option<String> {
    r.get::<_, Option<Timestamp>>(i).map(time::to_db)
}

/// A row holding [`ACCOUNT_COLUMNS`] from the `at`-th column on.
pub(crate) fn account_at(r: &Row, at: usize) -> AccountCopy {
    AccountCopy {
        id: r.get(at),
        connection_id: r.get(at + 1),
        client_id: r.get(at + 2),
        dedupe_key: r.get(at + 3),
        kind: r.get(at + 4),
        name: r.get(at + 5),
        number_masked: r.get(at + 6),
        currency: r.get(at + 7),
        balance_minor: r.get(at + 8),
        asset_class: r.get(at + 9),
        as_of: text_time(r, at + 10),
        active: r.get(at + 11),
        freshness: text_time(r, at + 12),
        owners: r
            .get::<_, Option<String>>(at + 13)
            .map(|s| s.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// A row holding [`HOLDING_COLUMNS`] from the `at`-th column on.
pub(crate) fn holding_at(r: &Row, at: usize) -> HoldingCopy {
    HoldingCopy {
        id: r.get(at),
        connection_id: r.get(at + 1),
        client_id: r.get(at + 2),
        account_id: r.get(at + 3),
        dedupe_key: r.get(at + 4),
        name: r.get(at + 5),
        isin: r.get(at + 6),
        asset_class: r.get(at + 7),
        units: r.get(at + 8),
        value_minor: r.get(at + 9),
        currency: r.get(at + 10),
        as_of: text_time(r, at + 11),
        freshness: text_time(r, at + 12),
    }
}

/// A row holding [`LIABILITY_COLUMNS`] from the `at`-th column on.
pub(crate) fn liability_at(r: &Row, at: usize) -> LiabilityCopy {
    LiabilityCopy {
        id: r.get(at),
        connection_id: r.get(at + 1),
        client_id: r.get(at + 2),
        dedupe_key: r.get(at + 3),
        currency: r.get(at + 4),
        balance_minor: r.get(at + 5),
        freshness: text_time(r, at + 6),
    }
}

pub mod read {
    use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};

    use super::{account_at, holding_at, liability_at};
    use super::{ACCOUNT_COLUMNS, HOLDING_COLUMNS, LIABILITY_COLUMNS};
    use crate::queries::Reader;
    use crate::FirmDbError;

    pub fn accounts(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<AccountCopy>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT {ACCOUNT_COLUMNS}
                 FROM book_connections c JOIN accounts x ON x.connection_id = c.id
                 WHERE c.client_id = ANY($1) ORDER BY x.id"
            ),
            &[&clients],
        )?;
        Ok(rows.iter().map(|r| account_at(r, 0)).collect())
    }

    pub fn holdings(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<HoldingCopy>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT {HOLDING_COLUMNS}
                 FROM book_connections c JOIN holdings x ON x.connection_id = c.id
                 WHERE c.client_id = ANY($1) ORDER BY x.id"
            ),
            &[&clients],
        )?;
        Ok(rows.iter().map(|r| holding_at(r, 0)).collect())
    }

    pub fn liabilities(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<LiabilityCopy>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT {LIABILITY_COLUMNS}
                 FROM book_connections c JOIN liabilities x ON x.connection_id = c.id
                 WHERE c.client_id = ANY($1) ORDER BY x.id"
            ),
            &[&clients],
        )?;
        Ok(rows.iter().map(|r| liability_at(r, 0)).collect())
    }
}
