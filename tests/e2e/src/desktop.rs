//! One advisor's desktop of a firm: the app running in a home of its own (data folder,
//! keychain namespace, XDG folders: see [`AppHome`]) under its own driver session, joined to a
//! [`TestFirm`] as its own member through Settings → Firm. Several run at once, as several
//! advisors' machines would, on one firm database.

use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::test_firm::{TestFirm, TestMember};

use crate::firm::{join_in_settings, write_member_invite, AdminKey};
use crate::{AppHome, RunningApp};

pub struct Desktop {
    /// Who sits at it, as the test names them ("ana"): also the name of its logs and failure
    /// screenshots.
    pub name: String,
    pub member: TestMember,
    // Declared before `home`, so the app stops before its folders go.
    pub app: RunningApp,
    home: AppHome,
}

impl Desktop {
    /// Adds `short` to the firm as a member of `kind`, starts an app in a fresh home, and joins
    /// the firm there with the member's invite (carrying the firm key `admin` holds); returns
    /// once the window says connected. `test` prefixes the desktop's log names.
    pub fn joined(
        firm: &TestFirm,
        admin: &AdminKey,
        test: &str,
        short: &str,
        kind: MemberKind,
    ) -> Desktop {
        let member = firm.add_member(short, kind);
        let home = AppHome::new();
        // Beside the data folder: the file the administrator sent, as the advisor saved it.
        let invite = home.data_dir().with_file_name(format!("{short}.invite"));
        write_member_invite(firm, &member, admin.copy(), &invite);
        let name = format!("{test}-{short}");
        let app = RunningApp::start_until(&home, &name, "[data-testid=sandbox-badge]");
        join_in_settings(&app, &name, &invite);
        Desktop {
            name,
            member,
            app,
            home,
        }
    }

    /// Its data folder and keychain namespace (where its embedded sandbox's address is).
    pub fn home(&self) -> &AppHome {
        &self.home
    }

    /// Saves a screenshot, then panics with `what`.
    pub fn fail(&self, what: &str) -> ! {
        self.app.fail(&self.name, what)
    }

    /// Closes the window and waits until the app is gone (see [`RunningApp::quit`]).
    pub fn quit(self) {
        self.app.quit();
    }
}
