//! A migrated firm database on the binary's shared test server, with its members.
#![allow(dead_code)] // each test binary uses its own part

use advisor_desk_firm::members::{create_member, MemberKind};
use advisor_desk_firm::migrations;
use advisor_desk_firm::test_server::{TestDatabase, TestServer};
use postgres::{Client, NoTls};

pub struct FirmBook {
    pub database: TestDatabase,
}

/// A member of the test firm: their role (unique on the server) and password.
pub struct Member {
    pub role: String,
    pub password: String,
}

impl FirmBook {
    /// A fresh database, migrated by its owner (the firm's first admin).
    pub fn migrated() -> FirmBook {
        let database = TestServer::shared().create_database().unwrap();
        let mut owner = Client::connect(&database.owner_url(), NoTls).unwrap();
        migrations::migrate(&mut owner).unwrap();
        FirmBook { database }
    }

    pub fn owner(&self) -> Client {
        Client::connect(&self.database.owner_url(), NoTls).unwrap()
    }

    /// Bypasses row-level security: for inspecting what is really stored.
    pub fn superuser(&self) -> Client {
        Client::connect(&self.database.superuser_url, NoTls).unwrap()
    }

    /// Adds a member (created by the owner) named `<database>_<short>`.
    pub fn add_member(&self, short: &str, kind: MemberKind) -> Member {
        let role = format!("{}_{short}", self.database.name);
        let password = format!("pw-{short}-{}", self.database.name);
        create_member(&mut self.owner(), &role, &password, short, kind).unwrap();
        Member { role, password }
    }

    pub fn connect_as(&self, member: &Member) -> Client {
        Client::connect(
            &self.database.url_for(&member.role, &member.password),
            NoTls,
        )
        .unwrap()
    }
}

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
