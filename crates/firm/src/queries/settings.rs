//! The firm's shared settings (`firm_settings`): the book's rules the read models apply
//! (freshness, the SCA period), as the solo book's `settings`.

pub mod read {
    use std::collections::HashMap;

    use crate::queries::Reader;
    use crate::FirmDbError;

    /// Every setting, for a page that reads several.
    pub fn all(db: &mut impl Reader) -> Result<HashMap<String, String>, FirmDbError> {
        let rows = db.rows("SELECT key, value FROM firm_settings", &[])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
