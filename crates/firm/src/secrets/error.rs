//! The sealed secrets' refusals. None holds a secret: a place names a row, never its value.

use advisor_desk_core::firm::FirmError;

use crate::FirmDbError;

#[derive(Debug, thiserror::Error)]
pub enum FirmSecretsError {
    #[error(transparent)]
    Database(#[from] FirmDbError),

    #[error(transparent)]
    Sealing(#[from] FirmError),

    #[error(
        "the firm database has no '{0}' setting: the firm's administrator has not set the firm \
         up yet"
    )]
    SettingMissing(&'static str),

    #[error("the firm database's '{0}' setting is not valid")]
    SettingInvalid(&'static str),

    /// PostgreSQL keeps key versions as `integer` (i32), the core as u32.
    #[error("firm key version {0} is out of the range the firm database stores")]
    KeyVersionOutOfRange(i64),

    #[error(
        "this desktop holds firm key version {offered} but the firm is at version {current}: \
         ask the firm's administrator for the new key"
    )]
    KeyNotCurrent { offered: u32, current: u32 },

    #[error("no sealed secret is stored for {0}")]
    NotStored(String),

    #[error(
        "the sealed secret stored for {place} says key version {sealed} but its row says \
         {row}: it was changed outside Advisor Desk"
    )]
    VersionMismatch {
        place: String,
        sealed: u32,
        row: u32,
    },

    #[error("the sealed secret for {0} was not found again while it was being re-sealed")]
    RowVanished(String),
}

impl FirmSecretsError {
    /// The stable machine code the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            FirmSecretsError::Database(_) => "firm_database",
            FirmSecretsError::Sealing(e) => e.code(),
            FirmSecretsError::SettingMissing(_) | FirmSecretsError::SettingInvalid(_) => {
                "firm_not_set_up"
            }
            FirmSecretsError::KeyVersionOutOfRange(_)
            | FirmSecretsError::VersionMismatch { .. }
            | FirmSecretsError::RowVanished(_) => "sealed_secret_refused",
            FirmSecretsError::KeyNotCurrent { .. } => "firm_key_not_current",
            FirmSecretsError::NotStored(_) => "not_found",
        }
    }
}

impl From<postgres::Error> for FirmSecretsError {
    fn from(error: postgres::Error) -> Self {
        FirmSecretsError::Database(error.into())
    }
}

/// A key version as PostgreSQL stores it (`integer`).
pub(crate) fn version_to_sql(version: u32) -> Result<i32, FirmSecretsError> {
    i32::try_from(version).map_err(|_| FirmSecretsError::KeyVersionOutOfRange(version.into()))
}

/// A stored key version as the core's; versions start at 1.
pub(crate) fn version_from_sql(version: i32) -> Result<u32, FirmSecretsError> {
    u32::try_from(version)
        .ok()
        .filter(|v| *v > 0)
        .ok_or(FirmSecretsError::KeyVersionOutOfRange(version.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_versions_cross_between_u32_and_integer_or_are_refused() {
        assert_eq!(version_to_sql(7).unwrap(), 7);
        assert_eq!(version_to_sql(i32::MAX as u32).unwrap(), i32::MAX);
        let too_big = version_to_sql(u32::MAX).unwrap_err();
        assert!(matches!(
            too_big,
            FirmSecretsError::KeyVersionOutOfRange(4_294_967_295)
        ));
        assert_eq!(version_from_sql(3).unwrap(), 3);
        for bad in [0, -1, i32::MIN] {
            let refused = version_from_sql(bad).unwrap_err();
            assert_eq!(refused.code(), "sealed_secret_refused", "{bad}");
        }
    }
}
