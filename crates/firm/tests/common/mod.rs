//! Small helpers the firm crate's test binaries share (the firm itself: `test_firm::TestFirm`).
#![allow(dead_code)] // each test binary uses its own part

use postgres::Client;

/// The one number a `SELECT count(*) …` answers.
pub fn count(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> i64 {
    client.query_one(sql, params).unwrap().get(0)
}

/// The SQLSTATE of a failed statement ("42501": insufficient privilege, which is also what a
/// row-level security violation reports).
pub fn sqlstate(result: Result<u64, postgres::Error>) -> String {
    match result {
        Ok(n) => panic!("expected a refusal, the statement changed {n} row(s)"),
        Err(e) => e
            .code()
            .map(|c| c.code().to_string())
            .unwrap_or_else(|| panic!("not a database error: {e}")),
    }
}
