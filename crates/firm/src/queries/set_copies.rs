//! Every stored copy of a set's accounts, holdings and liabilities, as the core's
//! `store::queries::set_copies::read`: no de-duplication here (the core's `reads::copies` does
//! it), each copy with its client and the date that ranks it, in the core's text form.

pub mod read {
    use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
    use advisor_desk_core::time::{self, Timestamp};
    use postgres::Row;

    use crate::queries::Reader;

    use crate::FirmDbError;

    /// The date that ranks a copy (a row without its own date is as old as its connection's data).
    const FRESHNESS: &str = "coalesce(x.as_of, c.data_as_of, c.last_success_at)";

    fn text_time(r: &Row, i: usize) -> Option<String> {
        r.get::<_, Option<Timestamp>>(i).map(time::to_db)
    }

    pub fn accounts(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<AccountCopy>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT x.id, x.connection_id, c.client_id, x.dedupe_key, x.kind, x.name,
                        x.number_masked, x.currency, x.balance_minor, x.asset_class, x.as_of,
                        x.presence = 'active', {FRESHNESS},
                        (SELECT string_agg(o.owner_name, chr(31)) FROM account_owners o
                         WHERE o.account_id = x.id)
                 FROM book_connections c JOIN accounts x ON x.connection_id = c.id
                 WHERE c.client_id = ANY($1) ORDER BY x.id"
            ),
            &[&clients],
        )?;
        Ok(rows
            .iter()
            .map(|r| AccountCopy {
                id: r.get(0),
                connection_id: r.get(1),
                client_id: r.get(2),
                dedupe_key: r.get(3),
                kind: r.get(4),
                name: r.get(5),
                number_masked: r.get(6),
                currency: r.get(7),
                balance_minor: r.get(8),
                asset_class: r.get(9),
                as_of: text_time(r, 10),
                active: r.get(11),
                freshness: text_time(r, 12),
                owners: r
                    .get::<_, Option<String>>(13)
                    .map(|s| s.split('\u{1f}').map(str::to_string).collect())
                    .unwrap_or_default(),
            })
            .collect())
    }

    pub fn holdings(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<HoldingCopy>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT x.id, x.connection_id, c.client_id, x.account_id, x.dedupe_key, x.name,
                        x.isin, x.asset_class, x.units, x.value_minor, x.currency, x.as_of,
                        {FRESHNESS}
                 FROM book_connections c JOIN holdings x ON x.connection_id = c.id
                 WHERE c.client_id = ANY($1) ORDER BY x.id"
            ),
            &[&clients],
        )?;
        Ok(rows
            .iter()
            .map(|r| HoldingCopy {
                id: r.get(0),
                connection_id: r.get(1),
                client_id: r.get(2),
                account_id: r.get(3),
                dedupe_key: r.get(4),
                name: r.get(5),
                isin: r.get(6),
                asset_class: r.get(7),
                units: r.get(8),
                value_minor: r.get(9),
                currency: r.get(10),
                as_of: text_time(r, 11),
                freshness: text_time(r, 12),
            })
            .collect())
    }

    pub fn liabilities(
        db: &mut impl Reader,
        clients: &[i64],
    ) -> Result<Vec<LiabilityCopy>, FirmDbError> {
        let rows = db.rows(
            &format!(
                "SELECT x.id, x.connection_id, c.client_id, x.dedupe_key, x.currency,
                        x.balance_minor, {FRESHNESS}
                 FROM book_connections c JOIN liabilities x ON x.connection_id = c.id
                 WHERE c.client_id = ANY($1) ORDER BY x.id"
            ),
            &[&clients],
        )?;
        Ok(rows
            .iter()
            .map(|r| LiabilityCopy {
                id: r.get(0),
                connection_id: r.get(1),
                client_id: r.get(2),
                dedupe_key: r.get(3),
                currency: r.get(4),
                balance_minor: r.get(5),
                freshness: text_time(r, 6),
            })
            .collect())
    }
}
