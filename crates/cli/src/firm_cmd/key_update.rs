//! `firm accept-key-update FILE`: a remaining member files the new firm key (after the
//! administrator removed someone) in this computer's keychain.

use std::path::PathBuf;

use clap::Args;

use advisor_desk_core::firm::{accept_key_update, read_key_update, FirmSettings};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::Store;

use super::failure::Failure;
use super::local;

#[derive(Args)]
pub struct AcceptKeyUpdateArgs {
    /// The key update file from the firm's administrator.
    file: PathBuf,
    /// Read the file's passphrase from the first line of this file instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

pub fn run(
    solo: &Store,
    keychain: &dyn SecretStore,
    mut firm: FirmSettings,
    args: AcceptKeyUpdateArgs,
) -> Result<FirmSettings, Failure> {
    let passphrase =
        crate::prompt::secret_line(args.passphrase_file.as_deref(), "Passphrase", false)?;
    let update = read_key_update(&args.file, &passphrase)?;
    if update.firm != firm.firm {
        return Err(Failure::invalid(format!(
            "this key update is for another firm than '{}'; nothing was put in the keychain",
            firm.firm_name
        )));
    }
    let versions = accept_key_update(keychain, update)?;
    firm.key_versions.extend(versions);
    firm.key_versions.sort_unstable();
    firm.key_versions.dedup();
    local::save(solo, &firm)?;
    Ok(firm)
}
