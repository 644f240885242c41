//! This data folder's installation id: a random id created once and kept in its settings (so
//! it follows backups). It names this desk in provider link references and namespaces its
//! keychain entries, so two data folders on one machine never share an entry.

use std::sync::OnceLock;

use super::queries::settings;
use crate::error::CoreError;

use crate::error::Result;
use crate::links::state;

/// Settings key (historical name: the id first served link references only).
pub const INSTALLATION_SETTING: &str = "links.installation_id";

impl super::Store {
    /// Creates the id on first use; later calls answer from memory.
    pub fn installation_id(&self) -> Result<String> {
        if let Some(id) = self.installation.get() {
            return Ok(id.clone());
        }
        let id = match crate::settings::get(self, INSTALLATION_SETTING)? {
            Some(id) => id,
            None => {
                let fresh = fresh_installation_id()?;
                self.write(|tx| {
                    settings::write::set_if_absent(tx, INSTALLATION_SETTING, &fresh)?;
                    settings::read::value(tx, INSTALLATION_SETTING)?
                        .ok_or_else(|| CoreError::invalid("the installation id was not kept"))
                })?
            }
        };
        Ok(self.installation.get_or_init(|| id).clone())
    }
}

/// A new random installation id (a new data folder, or a book imported on a new computer).
pub(crate) fn fresh_installation_id() -> Result<String> {
    Ok(state::generate()?[..16].to_string())
}

pub(super) type InstallationCell = OnceLock<String>;
