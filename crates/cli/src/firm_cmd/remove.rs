//! `firm remove-advisor ROLE --key-update-out FILE`: the administrator removes a member; the
//! firm key is rotated in the same transaction (every secret re-sealed, the role dropped), and
//! the new key is written for the remaining members in a key update file under a passphrase.
//! The file's place and passphrase are checked before anything changes.

use std::path::PathBuf;

use clap::Args;

use advisor_desk_core::firm::{write_key_update, FirmKey, FirmSettings, KeyUpdate};
use advisor_desk_core::secrets::SecretStore;
use advisor_desk_core::Store;
use advisor_desk_firm::secrets::{remove_advisor_and_rotate, Rotation};
use advisor_desk_firm::FirmStore;

use super::failure::Failure;
use super::local;

#[derive(Args)]
pub struct RemoveArgs {
    /// The member's database role.
    role: String,
    /// The key update file for the remaining members (must not exist yet).
    #[arg(long, value_name = "FILE")]
    key_update_out: PathBuf,
    /// Read the key update's passphrase from the first line of this file instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(serde::Serialize)]
pub struct Removed {
    pub role: String,
    pub old_key_version: u32,
    pub new_key_version: u32,
    pub resealed: usize,
    pub key_update_file: PathBuf,
}

pub fn run(
    solo: &Store,
    keychain: &dyn SecretStore,
    mut firm: FirmSettings,
    store: &FirmStore,
    args: RemoveArgs,
) -> Result<Removed, Failure> {
    let out = &args.key_update_out;
    if out.exists() {
        return Err(Failure::invalid(format!(
            "{} exists already; choose a new file name",
            out.display()
        )));
    }
    if out
        .parent()
        .is_some_and(|p| !p.as_os_str().is_empty() && !p.is_dir())
    {
        return Err(Failure::invalid(format!(
            "the folder of {} does not exist",
            out.display()
        )));
    }
    let passphrase =
        crate::prompt::secret_line(args.passphrase_file.as_deref(), "Passphrase", true)?;
    let Rotation {
        old_key_version,
        new_key_version,
        resealed,
        ..
    } = remove_advisor_and_rotate(store, keychain, &args.role)?;
    firm.key_versions.push(new_key_version);
    local::save(solo, &firm)?;
    let update = KeyUpdate {
        firm: firm.firm.clone(),
        keys: vec![FirmKey::load(keychain, &firm.firm, new_key_version)?],
    };
    write_key_update(out, &update, &passphrase).map_err(|e| {
        Failure::new(
            e.code(),
            format!(
                "{} was removed and the firm key rotated, but the key update file could not be \
                 written: {e}",
                args.role
            ),
            crate::exit::FAILURE,
        )
    })?;
    Ok(Removed {
        role: args.role,
        old_key_version,
        new_key_version,
        resealed,
        key_update_file: args.key_update_out,
    })
}
