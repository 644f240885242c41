//! Where the read statements run ([`Reader`]), and statements prepared once per connection
//! ([`PreparedStatements`]).
//!
//! Why: `query(&str)` asks the server to parse and describe the statement (one round trip)
//! before running it (another). A page is a dozen small statements, so on a loopback server
//! the round trips, not the work, were its cost (2.3 ms against SQLite's 0.35 ms for a
//! client's page). A statement prepared once on a pooled connection and kept beside it runs in
//! one round trip every later time.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{GenericClient, Row, Statement};

/// A statement's parameters, as `postgres` takes them.
pub type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// Runs the firm's read statements: any client or transaction (each statement prepared for its
/// one use, as `query` does), or [`Prepared`] (each prepared once per connection).
pub trait Reader {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error>;

    fn row_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, postgres::Error> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    fn row(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error>;
}

impl<C: GenericClient> Reader for C {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
        self.query(sql, params)
    }

    fn row(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error> {
        self.query_one(sql, params)
    }
}

/// At most this many statements are kept per connection: a transactions page writes its
/// filters and window into its text, so the texts are not a fixed set.
const MOST_KEPT: usize = 128;

/// The statements prepared on one connection, by their text. Kept beside a pooled connection
/// (in its r2d2 extensions, see `FirmStore::reading`) for as long as the connection lives: a
/// statement belongs to the session that prepared it.
#[derive(Default)]
pub struct PreparedStatements {
    by_sql: HashMap<String, Statement>,
    /// Round trips made through them (each preparation, each run), for a page to count its own.
    round_trips: u64,
    /// Whether the client page's session function exists on the connection
    /// (`queries::client_page::function_definition`).
    pub(crate) client_page_function: bool,
}

impl PreparedStatements {
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Counts a round trip made beside the statements (a session function created).
    pub(crate) fn count_round_trip(&mut self) {
        self.round_trips += 1;
    }

    pub fn len(&self) -> usize {
        self.by_sql.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_sql.is_empty()
    }
}

/// A client (or transaction) with its connection's prepared statements.
pub struct Prepared<'a, C> {
    pub client: &'a mut C,
    pub statements: &'a mut PreparedStatements,
}

impl<C: GenericClient> Prepared<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.by_sql.get(sql) {
            return Ok(statement.clone());
        }
        self.statements.round_trips += 1;
        let statement = self.client.prepare(sql)?;
        if self.statements.by_sql.len() >= MOST_KEPT {
            self.statements.by_sql.clear();
        }
        self.statements
            .by_sql
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs `sql`'s prepared statement; a statement that failed is prepared afresh next time
    /// (a migration may have changed what it returns).
    fn run<T>(
        &mut self,
        sql: &str,
        run: impl FnOnce(&mut C, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        let statement = self.statement(sql)?;
        self.statements.round_trips += 1;
        let out = run(self.client, &statement);
        if out.is_err() {
            self.statements.by_sql.remove(sql);
        }
        out
    }
}

impl<C: GenericClient> Reader for Prepared<'_, C> {
    fn rows(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
        self.run(sql, |client, statement| client.query(statement, params))
    }

    fn row_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, postgres::Error> {
        self.run(sql, |client, statement| client.query_opt(statement, params))
    }

    fn row(&mut self, sql: &str, params: Params<'_>) -> Result<Row, postgres::Error> {
        self.run(sql, |client, statement| client.query_one(statement, params))
    }
}
