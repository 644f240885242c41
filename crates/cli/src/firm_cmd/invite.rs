//! `firm invite`: the administrator adds a member — their database role, created with a
//! random password (only its SCRAM verifier reaches the server) — and writes the invite file
//! that carries it with the firm's keys, under a passphrase given to the advisor apart. The
//! role and the file come together: if the file cannot be written the role is not created.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use advisor_desk_core::firm::{write_invite, FirmKey, FirmSettings, Invite};
use advisor_desk_core::secrets::{Secret, SecretStore};
use advisor_desk_firm::members::{create_member, MemberKind};
use advisor_desk_firm::secrets::current_key_version;
use advisor_desk_firm::FirmStore;

use super::create::random_hex;
use super::failure::Failure;

#[derive(Clone, Copy, ValueEnum)]
pub enum Role {
    /// Reads and writes the clients assigned or shared to them.
    Advisor,
    /// Reads the whole book, writes nothing.
    Compliance,
    /// Reads and writes the whole book, adds and removes members.
    Admin,
}

#[derive(Args)]
pub struct InviteArgs {
    /// The new member's database role: lowercase letters, digits and '_' (e.g. `firm_ana`).
    #[arg(long)]
    role: String,
    /// The new member's name, as the firm sees it.
    #[arg(long)]
    name: String,
    /// What the member may do.
    #[arg(long, value_enum, default_value = "advisor")]
    kind: Role,
    /// The invite file to write (must not exist yet).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Read the invite's passphrase from the first line of this file instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(serde::Serialize)]
pub struct Invited {
    pub role: String,
    pub file: PathBuf,
    pub key_versions: Vec<u32>,
}

pub fn run(
    firm: &FirmSettings,
    store: &FirmStore,
    keychain: &dyn SecretStore,
    args: InviteArgs,
) -> Result<Invited, Failure> {
    if args.out.exists() {
        return Err(Failure::invalid(format!(
            "{} exists already; choose a new file name",
            args.out.display()
        )));
    }
    let passphrase =
        crate::prompt::secret_line(args.passphrase_file.as_deref(), "Passphrase", true)?;
    let password = Secret::new(random_hex(24)?);
    let kind = match args.kind {
        Role::Advisor => MemberKind::Advisor,
        Role::Compliance => MemberKind::Compliance,
        Role::Admin => MemberKind::Admin,
    };
    let invited = store.write_as(|tx| {
        // The current key only: a rotation re-seals every secret under the new key in the
        // transaction that makes it, so no older key opens anything stored.
        let keys = vec![FirmKey::load(
            keychain,
            &firm.firm,
            current_key_version(tx)?,
        )?];
        create_member(tx, &args.role, password.expose(), args.name.trim(), kind)?;
        let invite = Invite {
            firm: firm.firm.clone(),
            firm_name: firm.firm_name.clone(),
            database: firm.database.clone(),
            role: args.role.clone(),
            password: password.clone(),
            keys,
        };
        let key_versions = invite.keys.iter().map(FirmKey::version).collect();
        write_invite(&args.out, &invite, &passphrase)?;
        Ok(key_versions)
    });
    match invited {
        Ok(key_versions) => Ok(Invited {
            role: args.role,
            file: args.out,
            key_versions,
        }),
        Err(failure) => {
            // Written, then the commit failed: the file would name a role that does not exist.
            if args.out.exists() {
                let _ = std::fs::remove_file(&args.out);
            }
            Err(failure)
        }
    }
}
