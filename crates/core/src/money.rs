//! Money is exact: an integer number of minor units with its currency. Never `f64`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(code: &str) -> Option<Currency> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let mut out = [0u8; 3];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_uppercase();
        }
        Some(Currency(out))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// ISO 4217 minor-unit exponent for the currencies we meet; 2 otherwise.
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "JPY" | "KRW" | "CLP" | "ISK" => 0,
            "BHD" | "KWD" | "OMR" | "TND" | "JOD" => 3,
            _ => 2,
        }
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// Converts a decimal amount, rounding half away from zero to the currency's minor unit.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Option<Money> {
        let scaled = amount.checked_mul(Decimal::from(10i64.pow(currency.exponent())))?;
        let rounded =
            scaled.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(rounded)
            .ok()
            .map(|minor| Money { minor, currency })
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn currency_codes_are_normalised_and_validated() {
        assert_eq!(Currency::parse(" eur ").unwrap().as_str(), "EUR");
        assert!(Currency::parse("EURO").is_none());
        assert!(Currency::parse("E1R").is_none());
    }

    #[test]
    fn decimal_round_trips_exactly() {
        let eur = Currency::parse("EUR").unwrap();
        let m = Money::from_decimal(Decimal::from_str("1234.565").unwrap(), eur).unwrap();
        assert_eq!(m.minor, 123457);
        assert_eq!(m.to_decimal().to_string(), "1234.57");
        let neg = Money::from_decimal(Decimal::from_str("-0.015").unwrap(), eur).unwrap();
        assert_eq!(neg.minor, -2);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            Money::from_decimal(Decimal::from(1500), jpy).unwrap().minor,
            1500
        );
    }
}
