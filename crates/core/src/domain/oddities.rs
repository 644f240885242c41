//! What decoding a provider's answer met on the way: records it had to drop (and why), and
//! odd fields it worked around while keeping the record. Both are counted in the sync's call
//! log, so a provider that starts sending a new shape shows up before anyone misses data.

use std::collections::BTreeMap;

use serde::Serialize;

/// A class of looseness providers.md lists for the real services. The record it sits in is
/// kept; what could not be read is left unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Oddity {
    /// A field documented as an object arrived as plain text (or a number).
    ObjectAsText,
    /// A classification field (category, type) was missing or not one we know: the kind was
    /// inferred from other fields, or left unknown.
    MissingClassification,
    /// A date carried a sentinel value meaning "never" (e.g. `0001-01-01`): read as no date.
    SentinelDate,
    /// A date or time carried more precision than documented (a time on a date field).
    ExtraPrecision,
    /// An object the reference shows as always present was absent.
    AbsentObject,
    /// Both of a pair of exclusive fields were filled (e.g. Debit and Credit).
    BothExclusive,
    /// A type code not in the provider's table: mapped to "other", never to a guessed class.
    UnknownCode,
}

impl Oddity {
    pub fn as_str(self) -> &'static str {
        match self {
            Oddity::ObjectAsText => "object_as_text",
            Oddity::MissingClassification => "missing_classification",
            Oddity::SentinelDate => "sentinel_date",
            Oddity::ExtraPrecision => "extra_precision",
            Oddity::AbsentObject => "absent_object",
            Oddity::BothExclusive => "both_exclusive",
            Oddity::UnknownCode => "unknown_code",
        }
    }
}

/// Counts of what decoding met: skipped records by reason, oddities by class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecodeNotes {
    /// `"<record>: <reason>"` → how many records were dropped for it.
    pub skipped: BTreeMap<String, u32>,
    pub oddities: BTreeMap<Oddity, u32>,
}

impl DecodeNotes {
    pub fn skip(&mut self, record: &str, reason: &str) {
        self.skip_many(record, reason, 1);
    }

    pub fn skip_many(&mut self, record: &str, reason: &str, count: u32) {
        if count > 0 {
            *self
                .skipped
                .entry(format!("{record}: {reason}"))
                .or_default() += count;
        }
    }

    pub fn odd(&mut self, oddity: Oddity) {
        *self.oddities.entry(oddity).or_default() += 1;
    }

    pub fn skipped_total(&self) -> u32 {
        self.skipped.values().sum()
    }

    pub fn oddities_total(&self) -> u32 {
        self.oddities.values().sum()
    }

    pub fn merge(&mut self, other: DecodeNotes) {
        for (k, n) in other.skipped {
            *self.skipped.entry(k).or_default() += n;
        }
        for (k, n) in other.oddities {
            *self.oddities.entry(k).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_count_by_reason_and_class() {
        let mut n = DecodeNotes::default();
        n.skip("account", "no id");
        n.skip("account", "no id");
        n.skip_many("transaction", "unreadable", 0);
        n.odd(Oddity::SentinelDate);
        let mut other = DecodeNotes::default();
        other.odd(Oddity::SentinelDate);
        other.skip("card", "no id");
        n.merge(other);
        assert_eq!(n.skipped_total(), 3);
        assert_eq!(n.skipped.len(), 2, "zero-count reasons are not listed");
        assert_eq!(n.oddities[&Oddity::SentinelDate], 2);
        assert_eq!(n.oddities_total(), 2);
    }
}
