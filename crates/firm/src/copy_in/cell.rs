//! One value on its way from a solo book's column to the firm's: read as SQLite stored it,
//! converted to the firm column's type (text timestamps to timestamptz, 0/1 to boolean, …), and
//! bound as that type.

use std::error::Error;

use advisor_desk_core::time::{self, Timestamp};
use chrono::NaiveDate;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use rusqlite::types::ValueRef;

/// The firm column types the copied tables use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FirmType {
    BigInt,
    Integer,
    Text,
    Boolean,
    Timestamp,
    Date,
}

impl FirmType {
    /// From `information_schema.columns.data_type`.
    pub(super) fn of(data_type: &str) -> Option<FirmType> {
        Some(match data_type {
            "bigint" => FirmType::BigInt,
            "integer" => FirmType::Integer,
            "text" => FirmType::Text,
            "boolean" => FirmType::Boolean,
            "timestamp with time zone" => FirmType::Timestamp,
            "date" => FirmType::Date,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub(super) enum Cell {
    Null,
    BigInt(i64),
    Integer(i32),
    Text(String),
    Boolean(bool),
    Timestamp(Timestamp),
    Date(NaiveDate),
}

impl Cell {
    /// The solo value as the firm type, or what is wrong with it. The problem names the kind
    /// of value, never the value (a column's text is the book's data).
    pub(super) fn from_solo(value: ValueRef<'_>, to: FirmType) -> Result<Cell, &'static str> {
        if let ValueRef::Null = value {
            return Ok(Cell::Null);
        }
        Ok(match (to, value) {
            (FirmType::BigInt, ValueRef::Integer(i)) => Cell::BigInt(i),
            (FirmType::Integer, ValueRef::Integer(i)) => {
                Cell::Integer(i32::try_from(i).map_err(|_| "an integer too large")?)
            }
            (FirmType::Boolean, ValueRef::Integer(0)) => Cell::Boolean(false),
            (FirmType::Boolean, ValueRef::Integer(1)) => Cell::Boolean(true),
            (FirmType::Boolean, _) => return Err("a flag that is neither 0 nor 1"),
            (FirmType::Text, ValueRef::Text(t)) => Cell::Text(utf8(t)?.to_string()),
            (FirmType::Timestamp, ValueRef::Text(t)) => {
                Cell::Timestamp(time::from_db(utf8(t)?).ok_or("a time that is not RFC 3339")?)
            }
            (FirmType::Date, ValueRef::Text(t)) => Cell::Date(
                NaiveDate::parse_from_str(utf8(t)?, "%Y-%m-%d")
                    .map_err(|_| "a date that is not YYYY-MM-DD")?,
            ),
            _ => return Err("a value of another type than the column's"),
        })
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, &'static str> {
    std::str::from_utf8(bytes).map_err(|_| "text that is not UTF-8")
}

impl ToSql for Cell {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Cell::Null => Ok(IsNull::Yes),
            Cell::BigInt(v) => v.to_sql(ty, out),
            Cell::Integer(v) => v.to_sql(ty, out),
            Cell::Text(v) => v.to_sql(ty, out),
            Cell::Boolean(v) => v.to_sql(ty, out),
            Cell::Timestamp(v) => v.to_sql(ty, out),
            Cell::Date(v) => v.to_sql(ty, out),
        }
    }

    /// Each value checks its own type when bound (`to_sql` of the inner value).
    fn accepts(ty: &Type) -> bool {
        [
            Type::INT8,
            Type::INT4,
            Type::TEXT,
            Type::BOOL,
            Type::TIMESTAMPTZ,
            Type::DATE,
        ]
        .contains(ty)
    }

    to_sql_checked!();
}
