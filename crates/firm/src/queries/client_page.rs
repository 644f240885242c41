//! Everything a client's page reads, in ONE statement: each statement is a round trip to the
//! server, and the page's dozen reads, not their work, were its cost on PostgreSQL (issue #18).
//! One statement is one snapshot, so the page needs no transaction either.
//!
//! Shape: a `UNION ALL` of one `SELECT` per part (the firm's settings, the client, their
//! connections and newest sent links, every copy of their accounts, holdings and liabilities,
//! their accounts' monthly tallies). Each row is tagged by its part in column 0; a part's
//! columns sit side by side with the other parts' (NULL on its rows), from a fixed column on,
//! so each table's own row decoder (`from_row_at`, `account_at`, …) reads its part. The other
//! parts' NULLs are typed ([`Part::types`]): a `UNION` of untyped NULLs would read as text.
//! Row-level security applies to every part as to the statements it replaces.

use std::collections::HashMap;
use std::sync::OnceLock;

use advisor_desk_core::clients::Client;
use advisor_desk_core::links::LinkSession;
use advisor_desk_core::store::queries::set_copies::{AccountCopy, HoldingCopy, LiabilityCopy};
use advisor_desk_core::sync::Connection;

use super::{clients, connections, link_sessions, set_copies};

/// One part of the statement: its columns and where they come from (`$1`: the client's id,
/// `$2`: the first day of the page's history).
struct Part {
    columns: &'static str,
    /// The SQL type of each column, in order, separated by spaces.
    types: &'static str,
    from: &'static str,
}

const SETTINGS: usize = 0;
const SENT_LINKS: usize = 1;
const CLIENT: usize = 2;
const CONNECTIONS: usize = 3;
const ACCOUNTS: usize = 4;
const HOLDINGS: usize = 5;
const LIABILITIES: usize = 6;
const MONTHS: usize = 7;
const COUNTS: usize = 8;

/// The client's account copies' ids (any presence): the tallies are read for all of them, the
/// core picks those it counts.
const ACCOUNT_IDS: &str = "SELECT x.id FROM book_connections c JOIN accounts x \
     ON x.connection_id = c.id WHERE c.client_id = $1";

const PARTS: [Part; 9] = [
    Part {
        columns: "key, value",
        types: "text text",
        from: "FROM firm_settings",
    },
    Part {
        columns: link_sessions::COLUMNS,
        types: "bigint bigint bigint text text text timestamptz timestamptz timestamptz text \
            text text text timestamptz integer text text",
        // As `link_sessions::read::newest_sent_per_connection`, for this client's connections
        // (the only ones the page shows).
        from: "FROM link_sessions s
               WHERE s.delivery = 'sent'
                 AND s.connection_id IN (SELECT id FROM connections WHERE client_id = $1)
                 AND s.id = (SELECT max(t.id) FROM link_sessions t
                             WHERE t.connection_id = s.connection_id)",
    },
    Part {
        columns: clients::COLUMNS,
        types: "bigint text text text text text boolean timestamptz timestamptz text",
        from: "FROM clients WHERE id = $1",
    },
    Part {
        columns: connections::COLUMNS,
        types: "bigint bigint text text text text text text text text timestamptz timestamptz \
            timestamptz timestamptz integer timestamptz timestamptz text text",
        from: "FROM connections WHERE client_id = $1",
    },
    Part {
        columns: set_copies::ACCOUNT_COLUMNS,
        types: "bigint bigint bigint text text text text text bigint text timestamptz boolean \
            timestamptz text",
        from: "FROM book_connections c JOIN accounts x ON x.connection_id = c.id
               WHERE c.client_id = $1",
    },
    Part {
        columns: set_copies::HOLDING_COLUMNS,
        types: "bigint bigint bigint bigint text text text text text bigint text timestamptz \
            timestamptz",
        from: "FROM book_connections c JOIN holdings x ON x.connection_id = c.id
               WHERE c.client_id = $1",
    },
    Part {
        columns: set_copies::LIABILITY_COLUMNS,
        types: "bigint bigint bigint text text bigint timestamptz",
        from: "FROM book_connections c JOIN liabilities x ON x.connection_id = c.id
               WHERE c.client_id = $1",
    },
    Part {
        columns: "account_id, currency, month, active_minor",
        types: "bigint text text bigint",
        from: "FROM transaction_months WHERE month >= left($2, 7) AND account_id IN (ACCOUNTS)",
    },
    Part {
        columns: "account_id, sum(row_count)::bigint",
        types: "bigint bigint",
        from: "FROM transaction_months WHERE account_id IN (ACCOUNTS) GROUP BY account_id",
    },
];

/// Where each part's columns start (after the tag, column 0).
fn starts() -> [usize; 9] {
    let mut at = [0; 9];
    let mut next = 1;
    for (i, part) in PARTS.iter().enumerate() {
        at[i] = next;
        next += part.types.split_whitespace().count();
    }
    at
}

/// The statement's text, built once (public for the pages bench to explain it).
pub fn statement() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(statement_text)
}

/// One `SELECT` per part, each part's first column its order within it.
fn statement_text() -> String {
    let mut branches = Vec::with_capacity(PARTS.len());
    for (tag, part) in PARTS.iter().enumerate() {
        let mut select = vec![tag.to_string()];
        for (other, p) in PARTS.iter().enumerate() {
            if other == tag {
                select.push(p.columns.to_string());
            } else {
                select.extend(p.types.split_whitespace().map(|t| format!("NULL::{t}")));
            }
        }
        branches.push(format!(
            "SELECT {} {}",
            select.join(", "),
            part.from.replace("ACCOUNTS", ACCOUNT_IDS)
        ));
    }
    // Within a part, rows in the order of its first column (ids: the order the copies are
    // de-duplicated in), as each per-part read orders them.
    let order: Vec<String> = starts().iter().map(|at| (at + 1).to_string()).collect();
    format!(
        "{} ORDER BY 1, {}",
        branches.join(" UNION ALL "),
        order.join(", ")
    )
}

/// The statement as a function of the session (`pg_temp`: nothing in the schema, gone with the
/// connection), with its plan made once: the pool plans every statement for its parameters on
/// each run (`pool::PlanEachRun`), and planning this one took three times as long as running
/// it (2.4 ms against 0.75 ms, `PAGES_EXPLAIN=1`). Its parameters are one client and a date,
/// so the plan for any value is the plan for each. Security invoker: row-level security
/// applies as to the statement. Created outside a transaction only (a read-only transaction
/// creates nothing).
pub fn function_definition() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let columns: Vec<String> = std::iter::once("integer")
            .chain(PARTS.iter().flat_map(|p| p.types.split_whitespace()))
            .enumerate()
            .map(|(i, t)| format!("p{i} {t}"))
            .collect();
        format!(
            "CREATE OR REPLACE FUNCTION pg_temp.client_page(bigint, text)
             RETURNS TABLE ({}) LANGUAGE plpgsql STABLE
             SET plan_cache_mode = force_generic_plan
             AS $body$ BEGIN RETURN QUERY {}; END $body$",
            columns.join(", "),
            statement()
        )
    })
}

/// The call of [`function_definition`]'s function.
pub const FUNCTION_CALL: &str = "SELECT * FROM pg_temp.client_page($1, $2)";

/// What the statement returns, each part decoded by its table's own decoder.
#[derive(Default)]
pub struct ClientPageRows {
    pub settings: HashMap<String, String>,
    /// The newest link sent for each of the client's connections.
    pub sent_links: Vec<LinkSession>,
    pub client: Option<Client>,
    pub connections: Vec<Connection>,
    pub accounts: Vec<AccountCopy>,
    pub holdings: Vec<HoldingCopy>,
    pub liabilities: Vec<LiabilityCopy>,
    /// (account id, currency, `YYYY-MM`, active sum) from the page's first month on.
    pub months: Vec<(i64, String, String, i64)>,
    /// Account id → its transactions (every month).
    pub counts: HashMap<i64, i64>,
}

pub mod read {
    use super::{starts, statement, ClientPageRows, FUNCTION_CALL};
    use super::{ACCOUNTS, CLIENT, CONNECTIONS, COUNTS, HOLDINGS, LIABILITIES, MONTHS};
    use super::{SENT_LINKS, SETTINGS};
    use crate::queries::{clients, connections, link_sessions, set_copies, Reader};
    use crate::FirmDbError;

    /// The client's page's rows, in one statement (`since`: the first day of its history).
    pub fn client_page(
        db: &mut impl Reader,
        client_id: i64,
        since: &str,
    ) -> Result<ClientPageRows, FirmDbError> {
        decode(&db.rows(statement(), &[&client_id, &since])?)
    }

    /// The same through the session's function (created by [`super::function_definition`]).
    pub fn client_page_by_function(
        db: &mut impl Reader,
        client_id: i64,
        since: &str,
    ) -> Result<ClientPageRows, FirmDbError> {
        decode(&db.rows(FUNCTION_CALL, &[&client_id, &since])?)
    }

    fn decode(rows: &[postgres::Row]) -> Result<ClientPageRows, FirmDbError> {
        let at = starts();
        let mut out = ClientPageRows::default();
        for r in rows {
            let tag: i32 = r.get(0);
            let part = usize::try_from(tag).unwrap_or(usize::MAX);
            let at = at.get(part).copied().unwrap_or_default();
            match part {
                SETTINGS => {
                    out.settings.insert(r.get(at), r.get(at + 1));
                }
                SENT_LINKS => out.sent_links.push(link_sessions::from_row_at(r, at)?),
                CLIENT => out.client = Some(clients::from_row_at(r, at)),
                CONNECTIONS => out.connections.push(connections::from_row_at(r, at)),
                ACCOUNTS => out.accounts.push(set_copies::account_at(r, at)),
                HOLDINGS => out.holdings.push(set_copies::holding_at(r, at)),
                LIABILITIES => out.liabilities.push(set_copies::liability_at(r, at)),
                MONTHS => out
                    .months
                    .push((r.get(at), r.get(at + 1), r.get(at + 2), r.get(at + 3))),
                COUNTS => {
                    out.counts.insert(r.get(at), r.get(at + 1));
                }
                _ => return Err(FirmDbError::UnknownValue(format!("client page part {tag}"))),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::PARTS;

    /// Each part declares one type per column (a column list's commas outside parentheses).
    #[test]
    fn each_part_types_every_column() {
        for part in &PARTS {
            let mut depth = 0;
            let mut columns = 1;
            for c in part.columns.chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => columns += 1,
                    _ => {}
                }
            }
            let types = part.types.split_whitespace().count();
            assert_eq!(columns, types, "{}", part.columns);
        }
    }
}
