//! Firm mode's set-up for the journeys: the administrator's invite for a member of a
//! [`TestFirm`] (written with the core's own invite code), and joining with it the way an
//! advisor does, through Settings → Firm with the file and its passphrase.

use std::path::Path;
use std::time::Duration;

use advisor_desk_core::firm::{write_invite, FirmId, FirmKey};
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_firm::secrets::set_up_firm;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};

use crate::ui::wait_js;
use crate::{RunningApp, ACTION};

/// The passphrase every test invite is written with.
pub const PASSPHRASE: &str = "a passphrase the administrator said aloud";
/// The firm's name as the invites carry it (and Settings → Firm shows it).
pub const FIRM_NAME: &str = "Ruiz & Partners";
/// How long the window may take to show a change of the firm's status: the session notices
/// a stopped or returning server within a few seconds.
pub const NOTICED: Duration = Duration::from_secs(20);

/// The firm key as the administrator holds it: one key, a copy of which goes into each
/// member's invite (a key is never cloned in memory; it is read back from the keychain, here
/// the test's own in-memory one).
pub struct AdminKey {
    firm: FirmId,
    keychain: MemorySecretStore,
}

impl AdminKey {
    /// The administrator creating the firm: its first key, and the firm's id and key version
    /// recorded in the database (what sealing a secret on any desktop binds to).
    pub fn generate(firm: &TestFirm) -> AdminKey {
        let admin = AdminKey {
            firm: firm.firm_id(),
            keychain: MemorySecretStore::new(),
        };
        let key = FirmKey::generate(1).expect("a firm key");
        let mut owner = firm.owner();
        let mut tx = owner.transaction().expect("begin the firm's set-up");
        set_up_firm(&mut tx, &admin.firm, &key).expect("record the firm's set-up");
        tx.commit().expect("commit the firm's set-up");
        key.save(&admin.keychain, &admin.firm)
            .expect("keep the firm key");
        admin
    }

    /// A copy of the firm key, for one invite.
    pub fn copy(&self) -> FirmKey {
        FirmKey::load(&self.keychain, &self.firm, 1).expect("the firm key")
    }
}

/// Writes `member`'s invite to `firm` at `path`, carrying `key` (the firm key every member of
/// one firm shares) and the loopback server's address, without TLS.
pub fn write_member_invite(firm: &TestFirm, member: &TestMember, key: FirmKey, path: &Path) {
    let invite = firm.invite_for(member, FIRM_NAME, key);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).expect("create the invite's folder");
    }
    write_invite(path, &invite, PASSPHRASE).expect("write the invite");
}

/// Waits until Settings → Firm's status reads `state` (`connected`, `unreachable`, …).
pub fn status_is(app: &RunningApp, name: &str, state: &str, what: &str) {
    wait_js(
        app,
        name,
        what,
        &format!(
            "const s = document.querySelector('[data-testid=firm-status]'); \
             return s && s.dataset.state === '{state}'"
        ),
        NOTICED,
    );
}

/// Types `text` into the field `css` once it is there.
pub fn type_into(app: &RunningApp, name: &str, css: &str, text: &str) {
    let s = &app.session;
    let field = s
        .wait_for_css(css, ACTION)
        .unwrap_or_else(|e| app.fail(name, &format!("{css}: {e}")));
    s.send_keys(&field, text)
        .unwrap_or_else(|e| app.fail(name, &format!("typing into {css}: {e}")));
}

/// Joins the firm from a solo window as an advisor does: Settings → Firm, the invite file and
/// its passphrase, Join; returns once the status says connected.
pub fn join_in_settings(app: &RunningApp, name: &str, invite: &Path) {
    let s = &app.session;
    s.execute("location.hash = '#/settings'", vec![])
        .unwrap_or_else(|e| app.fail(name, &format!("open Settings: {e}")));
    s.wait_for_css("[data-testid=firm-solo]", ACTION)
        .unwrap_or_else(|e| app.fail(name, &format!("solo mode first: {e}")));
    let path = invite.to_str().expect("a UTF-8 invite path");
    type_into(app, name, "[data-testid=firm-invite-path]", path);
    type_into(app, name, "[data-testid=firm-passphrase]", PASSPHRASE);
    crate::ui::click(app, name, "[data-testid=firm-join]");
    status_is(app, name, "connected", "connected to the firm");
}
