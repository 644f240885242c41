//! Rotating the firm key (when an advisor leaves): every sealed secret opened with the old
//! key and sealed again under the new one, for the same place. All or nothing — the first
//! secret that does not open stops the rotation, names its binding and returns nothing —, so
//! the database layer writes the whole result in one transaction or writes nothing.

use super::seal::{open, seal};
use super::{FirmError, FirmKey, SealedSecret, SecretBinding};

pub fn rotate<I>(
    old: &FirmKey,
    new: &FirmKey,
    sealed: I,
) -> Result<Vec<(SecretBinding, SealedSecret)>, FirmError>
where
    I: IntoIterator<Item = (SecretBinding, SealedSecret)>,
{
    if new.version() <= old.version() {
        return Err(FirmError::invalid(format!(
            "the new firm key (version {}) must be newer than the old one (version {})",
            new.version(),
            old.version()
        )));
    }
    sealed
        .into_iter()
        .map(|(binding, secret)| {
            let resealed =
                open(old, &secret, &binding).and_then(|plain| seal(new, &plain, &binding));
            match resealed {
                Ok(resealed) => Ok((binding, resealed)),
                Err(source) => Err(FirmError::RotationFailed {
                    binding,
                    source: Box::new(source),
                }),
            }
        })
        .collect()
}
