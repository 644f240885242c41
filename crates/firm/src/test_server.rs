//! A throw-away PostgreSQL server for tests: a fresh cluster (`initdb`) in a temporary folder (in
//! memory, `/dev/shm`, when there is one), started with `pg_ctl` on a free loopback port, stopped
//! and removed on drop.
//!
//! Why `initdb` + `pg_ctl` rather than `pg_virtualenv`: `pg_virtualenv` wraps the whole test
//! command, whereas here each test binary (or test) starts its own server and can stop and start
//! it again mid-test ("the database restarted mid-sync"). PostgreSQL refuses to run as root, so
//! when the tests run as root the commands run as the `postgres` OS user (`runuser`), and the
//! folder is handed to that user.
//!
//! Cost: one cluster is about 1.5 s in `/dev/shm` (initdb without fsync; about 4 s on this
//! machine's disk); a database in it, with its owner role, a fraction of a second. So tests share
//! one server per test binary ([`TestServer::shared`]) and each takes its own database
//! ([`TestServer::create_database`]); a test that restarts the server starts its own
//! ([`TestServer::start`]).

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The cluster's superuser. Tests that check row-level security must NOT use it (a superuser
/// bypasses every policy): they connect as the roles the schema creates.
pub const SUPERUSER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum TestServerError {
    #[error("PostgreSQL server binaries not found (install Debian's `postgresql`, or set ADVISOR_DESK_PG_BINDIR)")]
    BinariesMissing,
    #[error("{command} failed: {detail}")]
    Command { command: String, detail: String },
    #[error("test server I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// TLS for the test server: its certificate chain and private key, PEM.
pub struct ServerTls {
    pub certificate_pem: String,
    pub private_key_pem: String,
    /// Refuse connections without TLS (pg_hba `hostssl` only).
    pub require_tls: bool,
}

pub struct TestServer {
    // Held for its Drop (removes the folder); None once removed by `shutdown`.
    folder: Option<tempfile::TempDir>,
    root: PathBuf,
    bindir: PathBuf,
    port: u16,
    password: String,
    as_postgres_user: bool,
}

/// A database of its own for one test, on a shared or private server, owned by a role of its own
/// (`<name>_owner`, LOGIN CREATEROLE, not a superuser) as a firm's IT would set one up: the owner
/// runs the migrations and is the firm's first admin.
pub struct TestDatabase {
    pub name: String,
    pub port: u16,
    /// The superuser's URL for this database (setup and inspection only: a superuser bypasses
    /// row-level security).
    pub superuser_url: String,
    pub owner_role: String,
    pub owner_password: String,
}

impl TestDatabase {
    /// The URL for `role` on this database, over plain TCP on loopback.
    pub fn url_for(&self, role: &str, password: &str) -> String {
        format!(
            "host=127.0.0.1 port={} dbname={} user={role} password={password} sslmode=disable",
            self.port, self.name
        )
    }

    pub fn owner_url(&self) -> String {
        self.url_for(&self.owner_role, &self.owner_password)
    }
}

const FOLDER_PREFIX: &str = "advisor-desk-pg-";
/// The test process that started the server, so a later one can tell an abandoned server.
const OWNER_PID_FILE: &str = "test-process.pid";

static SHARED: OnceLock<TestServer> = OnceLock::new();
static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

extern "C" fn stop_shared_server() {
    if let Some(server) = SHARED.get() {
        server.stop_quietly();
        let _ = fs::remove_dir_all(&server.root);
    }
}

impl TestServer {
    /// The one server of this test binary, started on first use and stopped when the process
    /// exits (statics are never dropped, so an `atexit` handler does it).
    pub fn shared() -> &'static TestServer {
        SHARED.get_or_init(|| {
            let server = TestServer::start().expect("start the shared PostgreSQL test server");
            // SAFETY: registering a plain `extern "C" fn()` with the C runtime.
            unsafe { libc::atexit(stop_shared_server) };
            server
        })
    }

    /// A private server (plain TCP), stopped and removed on drop.
    pub fn start() -> Result<TestServer, TestServerError> {
        Self::start_with(None)
    }

    /// A private server with TLS on.
    pub fn start_with_tls(tls: ServerTls) -> Result<TestServer, TestServerError> {
        Self::start_with(Some(tls))
    }

    fn start_with(tls: Option<ServerTls>) -> Result<TestServer, TestServerError> {
        let bindir = find_bindir().ok_or(TestServerError::BinariesMissing)?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let as_postgres_user = unsafe { libc::geteuid() } == 0;
        remove_abandoned_servers(&bindir, as_postgres_user);
        let folder = tempfile::Builder::new()
            .prefix(FOLDER_PREFIX)
            .tempdir_in(servers_parent_folder())?;
        let root = folder.path().to_path_buf();
        fs::write(root.join(OWNER_PID_FILE), std::process::id().to_string())?;
        let password = random_password();
        let mut server = TestServer {
            folder: Some(folder),
            root,
            bindir,
            port: 0,
            password,
            as_postgres_user,
        };
        server.init_cluster(tls.as_ref())?;
        // A free port can be taken between choosing it and the server binding it: try again.
        let mut last_error = None;
        for _ in 0..5 {
            server.port = free_loopback_port()?;
            server.write_port_setting()?;
            match server.pg_ctl_start() {
                Ok(()) => return Ok(server),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }

    /// The server's temporary folder (its cluster, socket and log).
    pub fn folder_path(&self) -> &Path {
        &self.root
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's password (set by `initdb --pwfile`).
    pub fn superuser_password(&self) -> &str {
        &self.password
    }

    /// The folder of the server's binaries (`pg_dump` for a test that dumps a database).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// The superuser's URL for `database`, over the server's Unix socket (so it works even when
    /// TCP connections must use TLS).
    pub fn superuser_url(&self, database: &str) -> String {
        format!(
            "host={} port={} dbname={database} user={SUPERUSER} password={}",
            self.root.display(),
            self.port,
            self.password
        )
    }

    /// A new, empty database with a unique name (`t<pid>_<n>`) and its owner role, for one test.
    pub fn create_database(&self) -> Result<TestDatabase, TestServerError> {
        let n = DATABASE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{}_{n}", std::process::id());
        let owner_role = format!("{name}_owner");
        let owner_password = random_password();
        let mut client =
            postgres::Client::connect(&self.superuser_url("postgres"), postgres::NoTls)
                .map_err(|e| command_error("connect as superuser", e))?;
        // Two statements: CREATE DATABASE refuses to run inside a (batch's implicit) transaction.
        client
            .batch_execute(&format!(
                "CREATE ROLE {owner_role} LOGIN CREATEROLE PASSWORD '{owner_password}'"
            ))
            .map_err(|e| command_error("CREATE ROLE", crate::error::database_detail(&e)))?;
        client
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {owner_role}"))
            .map_err(|e| command_error("CREATE DATABASE", crate::error::database_detail(&e)))?;
        Ok(TestDatabase {
            superuser_url: self.superuser_url(&name),
            name,
            port: self.port,
            owner_role,
            owner_password,
        })
    }

    /// Stops the server (fast shutdown: open connections are cut). The cluster stays on disk.
    pub fn stop(&self) -> Result<(), TestServerError> {
        self.pg_ctl(&["stop", "-m", "fast", "-w"])
    }

    /// Starts the stopped server again, same folder and port.
    pub fn start_again(&self) -> Result<(), TestServerError> {
        self.pg_ctl_start()
    }

    /// Stop then start: "the database restarted".
    pub fn restart(&self) -> Result<(), TestServerError> {
        self.stop()?;
        self.start_again()
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        fs::read_to_string(self.root.join("server.log")).unwrap_or_default()
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn init_cluster(&self, tls: Option<&ServerTls>) -> Result<(), TestServerError> {
        // The folder must belong to the user the server runs as.
        let pwfile = self.root.join("pwfile");
        fs::write(&pwfile, &self.password)?;
        if self.as_postgres_user {
            self.hand_to_postgres_user()?;
        }
        let data = self.data_dir();
        let auth = "--auth=scram-sha-256";
        self.run(
            &self.bindir.join("initdb"),
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                SUPERUSER.as_ref(),
                "--pwfile".as_ref(),
                pwfile.as_os_str(),
                auth.as_ref(),
                "--no-sync".as_ref(),
                "--no-instructions".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
            ],
        )?;
        fs::remove_file(&pwfile)?;
        // Fast and throw-away: no durability, no background noise.
        let mut settings = format!(
            "\n# advisor-desk test server\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nfsync = off\nsynchronous_commit = off\n\
             full_page_writes = off\nmax_connections = 200\nshared_buffers = 32MB\n\
             include_if_exists = 'port.conf'\n",
            self.root.display()
        );
        if let Some(tls) = tls {
            self.write_server_file("server.crt", &tls.certificate_pem)?;
            self.write_server_file("server.key", &tls.private_key_pem)?;
            settings
                .push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
            if tls.require_tls {
                let hba =
                    "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n";
                self.write_server_file("pg_hba.conf", hba)?;
            }
        }
        append(&data.join("postgresql.conf"), &settings)?;
        Ok(())
    }

    fn write_server_file(&self, name: &str, contents: &str) -> Result<(), TestServerError> {
        let path = self.data_dir().join(name);
        fs::write(&path, contents)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
        if self.as_postgres_user {
            chown_to_postgres(&path)?;
        }
        Ok(())
    }

    fn write_port_setting(&self) -> Result<(), TestServerError> {
        self.write_server_file("port.conf", &format!("port = {}\n", self.port))
    }

    fn hand_to_postgres_user(&self) -> Result<(), TestServerError> {
        chown_to_postgres(&self.root)?;
        chown_to_postgres(&self.root.join("pwfile"))
    }

    fn pg_ctl_start(&self) -> Result<(), TestServerError> {
        let log = self.root.join("server.log");
        let log = log.to_string_lossy().into_owned();
        self.pg_ctl(&["start", "-w", "-t", "30", "-l", &log])
            .map_err(|e| match e {
                TestServerError::Command { command, detail } => TestServerError::Command {
                    command,
                    detail: format!("{detail}\nserver log:\n{}", self.log()),
                },
                other => other,
            })
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), TestServerError> {
        let data = self.data_dir();
        let mut all: Vec<&std::ffi::OsStr> = vec!["-D".as_ref(), data.as_os_str()];
        all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
        self.run(&self.bindir.join("pg_ctl"), &all)
    }

    fn stop_quietly(&self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    /// Runs a server binary, as the `postgres` user when we are root.
    fn run(&self, program: &Path, args: &[&std::ffi::OsStr]) -> Result<(), TestServerError> {
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(&self.root);
        let output = command.output()?;
        if output.status.success() {
            return Ok(());
        }
        Err(TestServerError::Command {
            command: program.display().to_string(),
            detail: format!(
                "{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_quietly();
        // TempDir's own drop removes the folder.
        self.folder.take();
    }
}

/// Servers whose test process died without stopping them (killed by a timeout, aborted): stopped
/// and removed before a new one starts, so they never pile up. A folder without the process id
/// file is being set up by a live process and is left alone.
fn remove_abandoned_servers(bindir: &Path, as_postgres_user: bool) {
    let Ok(entries) = fs::read_dir(servers_parent_folder()) else {
        return;
    };
    for entry in entries.flatten() {
        let root = entry.path();
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(FOLDER_PREFIX));
        let owner: Option<i32> = fs::read_to_string(root.join(OWNER_PID_FILE))
            .ok()
            .and_then(|pid| pid.trim().parse().ok());
        let Some(owner) = owner.filter(|_| is_ours) else {
            continue;
        };
        if process_is_alive(owner) {
            continue;
        }
        let abandoned = TestServer {
            folder: None,
            root: root.clone(),
            bindir: bindir.to_path_buf(),
            port: 0,
            password: String::new(),
            as_postgres_user,
        };
        drop(abandoned); // stops it
        let _ = fs::remove_dir_all(&root);
    }
}

/// Where servers live: `ADVISOR_DESK_PG_TMPDIR`, else `/dev/shm` (memory: initdb takes a third
/// of the time it takes on this machine's disk), else the temporary folder.
fn servers_parent_folder() -> PathBuf {
    if let Some(dir) = std::env::var_os("ADVISOR_DESK_PG_TMPDIR") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

fn process_is_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists (EPERM: it does, not ours).
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn command_error(what: &str, error: impl std::fmt::Display) -> TestServerError {
    TestServerError::Command {
        command: what.to_string(),
        detail: error.to_string(),
    }
}

/// `ADVISOR_DESK_PG_BINDIR`, else the newest Debian `/usr/lib/postgresql/<major>/bin`, else the
/// folder of an `initdb` on PATH.
fn find_bindir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ADVISOR_DESK_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let newest_debian = fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .max_by_key(|(major, _)| *major)
        .map(|(_, bin)| bin);
    newest_debian.or_else(|| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).find(|dir| dir.join("initdb").exists()))
    })
}

fn free_loopback_port() -> Result<u16, TestServerError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn chown_to_postgres(path: &Path) -> Result<(), TestServerError> {
    let (uid, gid) = postgres_user_ids()?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    Ok(())
}

fn postgres_user_ids() -> Result<(u32, u32), TestServerError> {
    static IDS: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let name = std::ffi::CString::new("postgres").ok()?;
        // SAFETY: getpwnam returns a pointer to static storage or null; we copy out two integers
        // at once under the OnceLock, so no other call races it here.
        let entry = unsafe { libc::getpwnam(name.as_ptr()) };
        (!entry.is_null()).then(|| unsafe { ((*entry).pw_uid, (*entry).pw_gid) })
    });
    ids.ok_or_else(|| command_error("look up the postgres OS user", "no such user"))
}

fn append(path: &Path, text: &str) -> Result<(), TestServerError> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// A password for a throw-away server: unique enough, not a secret worth a CSPRNG.
fn random_password() -> String {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    format!("pw{nanos:x}{:x}{call}", std::process::id())
}
