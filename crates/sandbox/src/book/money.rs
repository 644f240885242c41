//! Amounts are kept as integer cents so running balances add up exactly; they are written
//! to JSON as numbers with two decimals, as the providers do.

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Amount(pub i64);

impl Amount {
    pub fn cents(self) -> i64 {
        self.0
    }
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}
