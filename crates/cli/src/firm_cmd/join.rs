//! `firm join FILE`: an advisor accepts the invite — the firm keys and the role password into
//! this computer's keychain (all or none), the firm's settings (no secret) into this data
//! folder — and the database is tried once, so the advisor learns at once whether it answers.

use std::path::PathBuf;

use clap::Args;

use advisor_desk_core::firm::{accept_invite, read_invite, FirmSettings};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::Store;

use super::failure::Failure;
use super::local;
use super::status::{reach, Reach};

#[derive(Args)]
pub struct JoinArgs {
    /// The invite file from the firm's administrator.
    file: PathBuf,
    /// Read the invite's passphrase from the first line of this file instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(serde::Serialize)]
pub struct Joined {
    pub firm: FirmSettings,
    pub database: Reach,
}

pub fn run(solo: &Store, keychain: &dyn SecretStore, args: JoinArgs) -> Result<Joined, Failure> {
    let passphrase =
        crate::prompt::secret_line(args.passphrase_file.as_deref(), "Passphrase", false)?;
    let invite = read_invite(&args.file, &passphrase)?;
    local::refuse_another_firm(solo, Some(invite.firm.as_str()))?;
    let firm = accept_invite(keychain, invite)?;
    local::save(solo, &firm)?;
    let database = reach(keychain, &firm);
    Ok(Joined { firm, database })
}
