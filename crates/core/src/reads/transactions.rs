//! Newest transactions and full-text search (FTS5) for one client.

use serde::Serialize;

use crate::error::Result;
use crate::store::queries::{transactions, Db};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionRow {
    pub id: i64,
    pub connection_id: i64,
    pub account_id: i64,
    pub booking_date: String,
    pub amount_minor: i64,
    pub currency: String,
    pub description: String,
    pub category: Option<String>,
    pub counterparty: Option<String>,
    /// `active`, or `missing` when the provider stopped returning it.
    pub presence: String,
}

/// A client's newest transactions, across all its connections.
pub fn newest_transactions(db: &Db, client_id: i64, limit: u32) -> Result<Vec<TransactionRow>> {
    transactions::read::newest(db, client_id, limit)
}

/// Each word of `query` must appear (prefix match), whatever its accents or case. The text is
/// quoted for FTS5, so operators typed by a person are searched as words, never parsed.
pub fn search_transactions(
    db: &Db,
    client_id: i64,
    query: &str,
    limit: u32,
) -> Result<Vec<TransactionRow>> {
    match transactions::fts_match(query) {
        Some(fts) => transactions::read::matching(db, client_id, &fts, limit),
        None => Ok(Vec::new()),
    }
}
