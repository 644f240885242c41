//! The firm the sealed-secrets tests share: an admin (the database owner, the firm's first
//! admin) who created the firm and its first key, and two advisors, Alice and Bob, each serving
//! one client with one connection (connection 1 is Alice's, 2 is Bob's).
#![allow(dead_code)] // each test binary uses its own part

use advisor_desk_core::firm::{keychain::key_entry, FirmId, FirmKey};
use advisor_desk_core::secrets::{MemorySecretStore, Secret, SecretStore};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::secrets::{self, FirmSecretsError, SecretPlace};
use advisor_desk_firm::test_firm::{TestFirm, TestMember};
use advisor_desk_firm::{FirmDbConfig, FirmStore};

/// Two provider keys and each advisor's connection's credentials (one a UUID-shaped loginId).
pub const SECRETS: [(SecretPlace, &str); 4] = [
    (
        SecretPlace::ProviderKey {
            provider: "flanks",
            field: "client_secret",
        },
        "flanks-client-secret-3c9e11d0a7f2",
    ),
    (
        SecretPlace::ProviderKey {
            provider: "flinks",
            field: "api_key",
        },
        "flinks-api-key-6a0f2b8e94d1",
    ),
    (
        SecretPlace::Credentials { connection_id: 1 },
        "a7c3e1f0-5b2d-4e8a-9c61-3f0b2d7e4a95",
    ),
    (
        SecretPlace::Credentials { connection_id: 2 },
        "flinks-login-bob-d41f8a6c2073",
    ),
];

/// The firm with [`SECRETS`] sealed under its first key by the admin.
pub fn firm_with_secrets() -> Firm {
    let firm = Firm::new();
    for (place, secret) in SECRETS {
        firm.admin_puts(place, secret);
    }
    firm
}

pub struct Firm {
    pub book: TestFirm,
    pub id: FirmId,
    pub admin: FirmStore,
    /// The administrator's keychain: the firm key since the firm was created.
    pub admin_keychain: MemorySecretStore,
    pub alice: TestMember,
    pub bob: TestMember,
}

impl Firm {
    pub fn new() -> Firm {
        let book = TestFirm::migrated();
        let alice = book.add_member("alice", MemberKind::Advisor);
        let bob = book.add_member("bob", MemberKind::Advisor);
        let mut owner = book.owner();
        for (n, member) in [(1, &alice), (2, &bob)] {
            owner
                .batch_execute(&format!(
                    "INSERT INTO clients (id, kind, name, created_at, updated_at)
                         VALUES ({n}, 'person', 'Client {n}', now(), now());
                     INSERT INTO client_assignments (client_id, advisor_role) VALUES ({n}, '{}');
                     INSERT INTO connections (id, client_id, provider, flow, token_hash, created_at, updated_at)
                         VALUES ({n}, {n}, 'flinks', 'flinks_connect', 'hash-{n}', now(), now());",
                    member.role
                ))
                .unwrap();
        }
        owner
            .batch_execute(
                "SELECT setval(pg_get_serial_sequence(t, 'id'), 100)
                   FROM unnest(ARRAY['clients', 'connections']) AS t",
            )
            .unwrap();
        let id = FirmId::new(format!("firm-{}", book.database.name)).unwrap();
        let admin = FirmStore::connect(&config(book.database.owner_url())).unwrap();
        let admin_keychain = MemorySecretStore::new();
        let first = FirmKey::generate(1).unwrap();
        first.save(&admin_keychain, &id).unwrap();
        admin
            .write_as(|tx| secrets::set_up_firm(tx, &id, &first))
            .unwrap();
        Firm {
            book,
            id,
            admin,
            admin_keychain,
            alice,
            bob,
        }
    }

    pub fn store_for(&self, member: &TestMember) -> FirmStore {
        FirmStore::connect(&config(self.book.url_for(member))).unwrap()
    }

    /// An advisor's keychain after accepting an invite carrying the firm's keys up to
    /// `version` (copied from the administrator's).
    pub fn advisor_keychain(&self, up_to_version: u32) -> MemorySecretStore {
        let keychain = MemorySecretStore::new();
        for version in 1..=up_to_version {
            copy_key(&self.admin_keychain, &keychain, &self.id, version, version);
        }
        keychain
    }

    /// The admin puts `secret` at `place`, sealed under the current key from their keychain.
    pub fn admin_puts(&self, place: secrets::SecretPlace<'_>, secret: &str) {
        let version = self
            .admin
            .write_as(|tx| secrets::current_key_version(tx))
            .unwrap();
        let key = FirmKey::load(&self.admin_keychain, &self.id, version).unwrap();
        self.admin
            .write_as(|tx| secrets::put(tx, &key, place, &Secret::new(secret)))
            .unwrap();
    }

    /// Every sealed row as stored (bypassing row security): table, row, column, key version,
    /// bytes — and the recorded key version, the firm's members and the audited removals.
    pub fn snapshot(&self) -> Snapshot {
        let mut su = self.book.superuser();
        let rows = su
            .query(
                "SELECT bound_table, bound_row, bound_column, key_version, sealed
                   FROM sealed_secrets ORDER BY id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        let key_version = su
            .query_one(
                "SELECT value FROM firm_settings WHERE key = $1",
                &[&secrets::KEY_VERSION_SETTING],
            )
            .unwrap()
            .get(0);
        let members = su
            .query(
                "SELECT role_name FROM advisors WHERE role_name IN (SELECT rolname FROM pg_roles)
                  ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let removals = su
            .query(
                "SELECT detail FROM audit_log WHERE action = $1 ORDER BY id",
                &[&secrets::AUDIT_ACTION],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        Snapshot {
            rows,
            key_version,
            members,
            removals,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub rows: Vec<(String, String, String, i32, Vec<u8>)>,
    pub key_version: String,
    pub members: Vec<String>,
    /// The audit log's entries of members removed (with the key's rotation).
    pub removals: Vec<String>,
}

pub fn config(url: String) -> FirmDbConfig {
    FirmDbConfig::new(url).with_pool_size(2)
}

/// Files the key `from_version` of `from` in `to` as version `as_version` (the same bytes).
pub fn copy_key(
    from: &dyn SecretStore,
    to: &dyn SecretStore,
    firm: &FirmId,
    from_version: u32,
    as_version: u32,
) {
    let text = from
        .get(&key_entry(firm, from_version).unwrap())
        .unwrap()
        .unwrap();
    to.put(&key_entry(firm, as_version).unwrap(), &text)
        .unwrap();
}

/// The code of a refusal, for asserting which one it is.
pub fn code<T: std::fmt::Debug>(result: Result<T, FirmSecretsError>) -> &'static str {
    result.unwrap_err().code()
}
