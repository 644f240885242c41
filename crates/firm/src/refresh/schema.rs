//! The refresh tables. The SQL lives in `schema.sql`, written to become migration 0005 as is.

/// Rounds, leases and outcomes (`schema.sql`).
pub const SQL: &str = include_str!("schema.sql");

/// Creates the refresh tables if they are missing.
pub fn install(client: &mut postgres::Client) -> Result<(), postgres::Error> {
    client.batch_execute(SQL)
}
