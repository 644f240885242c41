//! The secrets audit's two checks, shared by the tests that scan the firm database: a
//! `pg_dump` of it as a firm's backup would take one, and a scan report that must hold the
//! canary written in clear on purpose (so the scan can fail) and nothing else.
#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;
use std::process::Command;

use advisor_desk_firm::test_server::TestServer;

use crate::secret_scan::{Hit, Report};

pub fn assert_only_the_canary(report: &Report, what: &str) {
    assert!(
        report.bytes > 0 && !report.files.is_empty(),
        "{what}: nothing scanned"
    );
    let (canary, leaks): (Vec<&Hit>, Vec<&Hit>) =
        report.hits.iter().partition(|hit| hit.label == "canary");
    assert!(
        leaks.is_empty(),
        "{what}: secrets in clear:\n{}",
        leaks
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !canary.is_empty(),
        "{what}: the canary written in clear was not found, so the scan proves nothing ({} files, {} bytes)",
        report.files.len(),
        report.bytes
    );
}

/// The archive uncompressed, so its bytes can be read (compressed, it would hide a leak from
/// the scan, not from a reader).
pub fn pg_dump(server: &TestServer, superuser_url: &str, format: &str, out: &Path) {
    let output = Command::new(server.bindir().join("pg_dump"))
        .arg("--dbname")
        .arg(superuser_url)
        .arg(format!("--format={format}"))
        .arg("--compress=0")
        .arg("--file")
        .arg(out)
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
