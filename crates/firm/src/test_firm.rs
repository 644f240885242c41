//! A firm for tests (feature `test-server`): a fresh database on the binary's shared
//! [`TestServer`], migrated by its owner (the firm's first admin), and members added on demand.
//! Test-only, so failures panic with what failed.

use advisor_desk_core::firm::{DatabaseSettings, FirmId, FirmKey, Invite, SslMode};
use advisor_desk_core::secrets::Secret;
use postgres::{Client, GenericClient, NoTls};

use crate::members::{create_member, MemberKind};
use crate::migrations;
use crate::test_server::{TestDatabase, TestServer};

pub struct TestFirm {
    pub database: TestDatabase,
}

/// A member of the test firm: their role (unique on the server) and password.
pub struct TestMember {
    pub role: String,
    pub password: String,
}

impl TestFirm {
    /// A fresh database on the shared server, migrated by its owner.
    pub fn migrated() -> TestFirm {
        Self::migrated_on(TestServer::shared())
    }

    /// A fresh database on `server`, migrated by its owner.
    pub fn migrated_on(server: &TestServer) -> TestFirm {
        let database = server.create_database().expect("create a test database");
        let mut owner = Client::connect(&database.owner_url(), NoTls).expect("connect as owner");
        migrations::migrate(&mut owner).expect("migrate the firm schema");
        TestFirm { database }
    }

    pub fn owner(&self) -> Client {
        Client::connect(&self.database.owner_url(), NoTls).expect("connect as owner")
    }

    /// Bypasses row-level security: for inspecting what is really stored.
    pub fn superuser(&self) -> Client {
        Client::connect(&self.database.superuser_url, NoTls).expect("connect as superuser")
    }

    /// Adds a member (created by the owner) whose role is `<database>_<short>`.
    pub fn add_member(&self, short: &str, kind: MemberKind) -> TestMember {
        let role = format!("{}_{short}", self.database.name);
        let password = format!("pw-{short}-{}", self.database.name);
        create_member(&mut self.owner(), &role, &password, short, kind).expect("add a member");
        TestMember { role, password }
    }

    pub fn url_for(&self, member: &TestMember) -> String {
        self.database.url_for(&member.role, &member.password)
    }

    /// The firm's id as its invites name it.
    pub fn firm_id(&self) -> FirmId {
        FirmId::new(format!("firm_{}", self.database.name)).expect("a firm id")
    }

    /// `member`'s invite to this firm, named `firm_name`, carrying `key`, with the loopback
    /// server's address and no TLS (what the administrator's `firm invite` writes).
    pub fn invite_for(&self, member: &TestMember, firm_name: &str, key: FirmKey) -> Invite {
        Invite {
            firm: self.firm_id(),
            firm_name: firm_name.into(),
            database: DatabaseSettings {
                host: "127.0.0.1".into(),
                port: self.database.port,
                dbname: self.database.name.clone(),
                sslmode: SslMode::Disable,
                ca_certificate_pem: None,
            },
            role: member.role.clone(),
            password: Secret::new(member.password.as_str()),
            keys: vec![key],
        }
    }

    pub fn connect_as(&self, member: &TestMember) -> Client {
        Client::connect(&self.url_for(member), NoTls).expect("connect as a member")
    }
}

/// Connections 1..=`count` of one new client, with stand-in values, for tests of what hangs from
/// connections (refresh rounds, live changes); returns the client's id. Run as the owner or the
/// superuser (the client is assigned to no advisor).
pub fn seed_connections(client: &mut impl GenericClient, count: i64) -> i64 {
    let owner: i64 = client
        .query_one(
            "insert into clients (kind, name, created_at, updated_at)
             values ('person', 'Seeded client', now(), now()) returning id",
            &[],
        )
        .expect("seed a client")
        .get(0);
    client
        .execute(
            "insert into connections
                 (id, client_id, provider, flow, token_hash, created_at, updated_at)
             select n, $1, 'flanks', 'flanks_link', 'seeded-' || n, now(), now()
             from generate_series(1::bigint, $2) as n",
            &[&owner, &count],
        )
        .expect("seed connections");
    // Explicit ids: move the identity past them, as a book moving in does.
    client
        .execute(
            "select setval(pg_get_serial_sequence('connections', 'id'), greatest($1::bigint, 1))",
            &[&count],
        )
        .expect("move the identity");
    owner
}
