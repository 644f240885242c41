//! Why a solo book could not be copied in. Messages name tables, columns and row numbers,
//! never a value.

use crate::FirmDbError;

#[derive(Debug, thiserror::Error)]
pub enum CopyInError {
    #[error("the firm database has no table {table}: is it migrated?")]
    NoFirmTable { table: &'static str },

    #[error("the firm's {table} table has no column {column}: its data would be lost")]
    NoPlaceFor { table: &'static str, column: String },

    #[error("the firm's {table}.{column} is of a type the copy does not know ({data_type})")]
    UnknownType {
        table: &'static str,
        column: String,
        data_type: String,
    },

    #[error("row {row} of the solo book's {table} holds in {column} {problem}")]
    BadValue {
        table: &'static str,
        column: String,
        row: u64,
        problem: &'static str,
    },

    #[error(
        "the solo book's {table}.{column} holds ids the copy does not know how to renumber: \
         copied as they are, they would point at another book's rows"
    )]
    UnmappedId { table: &'static str, column: String },

    #[error(
        "row {row} of the solo book's {table} points in {column} at a row the book does not have"
    )]
    Dangling {
        table: &'static str,
        column: String,
        row: u64,
    },

    #[error("reading the solo book: {0}")]
    Solo(#[from] rusqlite::Error),

    #[error(transparent)]
    Firm(#[from] FirmDbError),
}

impl From<postgres::Error> for CopyInError {
    fn from(e: postgres::Error) -> Self {
        CopyInError::Firm(FirmDbError::from(e))
    }
}

impl CopyInError {
    /// A stable code for scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            CopyInError::NoFirmTable { .. } => "copy_in_no_firm_table",
            CopyInError::NoPlaceFor { .. } => "copy_in_no_place_for_column",
            CopyInError::UnknownType { .. } => "copy_in_unknown_type",
            CopyInError::BadValue { .. } => "copy_in_bad_value",
            CopyInError::UnmappedId { .. } => "copy_in_unmapped_id",
            CopyInError::Dangling { .. } => "copy_in_dangling_reference",
            CopyInError::Solo(_) => "copy_in_solo_book",
            CopyInError::Firm(_) => "copy_in_firm_database",
        }
    }
}
