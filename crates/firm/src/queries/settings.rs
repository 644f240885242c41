//! The firm's shared settings (`firm_settings`): the book's rules the read models apply
//! (freshness, the SCA period), as the solo book's `settings`.

pub mod read {
    use postgres::GenericClient;

    use crate::FirmDbError;

    pub fn value(db: &mut impl GenericClient, key: &str) -> Result<Option<String>, FirmDbError> {
        let row = db.query_opt("SELECT value FROM firm_settings WHERE key = $1", &[&key])?;
        Ok(row.map(|r| r.get(0)))
    }
}
