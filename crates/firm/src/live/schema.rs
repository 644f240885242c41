//! The notify trigger. The SQL lives in `schema.sql`, written to become migration 0006 as is.

/// The trigger function and its installation on the watched tables that exist (`schema.sql`).
pub const SQL: &str = include_str!("schema.sql");

/// Installs (or re-installs) the trigger on every watched table that exists now. Run it again
/// after creating a watched table.
pub fn install(client: &mut postgres::Client) -> Result<(), postgres::Error> {
    client.batch_execute(SQL)
}
