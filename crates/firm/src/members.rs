//! The firm's members: each person is a database role in one of the firm's groups (advisor,
//! compliance, admin). Only the admin adds or removes members; the database enforces it
//! (`create_advisor` / `remove_advisor` are executable by the admin group only).

use postgres::GenericClient;

use crate::FirmDbError;

/// What a member may do (the group their role joins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// Reads and writes the clients assigned or shared to them.
    Advisor,
    /// Reads the whole book, writes nothing.
    Compliance,
    /// Reads and writes the whole book, adds and removes members.
    Admin,
}

impl MemberKind {
    fn as_sql(self) -> &'static str {
        match self {
            MemberKind::Advisor => "advisor",
            MemberKind::Compliance => "compliance",
            MemberKind::Admin => "admin",
        }
    }
}

/// Creates the member's login role. The password is turned into a SCRAM-SHA-256 verifier here,
/// so only the verifier travels to the server.
pub fn create_member(
    client: &mut impl GenericClient,
    role: &str,
    password: &str,
    display_name: &str,
    kind: MemberKind,
) -> Result<(), FirmDbError> {
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    client.execute(
        "SELECT create_advisor($1, $2, $3, $4)",
        &[&role, &verifier, &display_name, &kind.as_sql()],
    )?;
    Ok(())
}

/// Drops the member's role; their assignments go, their clients stay.
pub fn remove_member(client: &mut impl GenericClient, role: &str) -> Result<(), FirmDbError> {
    client.execute("SELECT remove_advisor($1)", &[&role])?;
    Ok(())
}
