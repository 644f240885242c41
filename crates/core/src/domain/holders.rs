//! "Is it the right person?": credentials are not people, so when a newly connected login's
//! account holders share no name with the client (or the client's household members), the
//! advisor is asked to confirm before its data joins the client's book.
//!
//! The rules, chosen to ask only when the names really differ:
//! - Case, accents and punctuation do not count: "JOSÉ-MARÍA PÉREZ" is "jose maria perez".
//! - Order does not count: "RUIZ GARCIA, ANA" is "Ana Ruiz García".
//! - Particles do not count: "de", "del", "la", "los", "las", "y", "i", "e", "van", "von",
//!   "da", "di", "du", "le" ("Ana de la Fuente" is "Ana Fuente").
//! - Two names match when they share two whole words ("Ana Ruiz" and "Ana María Ruiz Gil"),
//!   or one whole word while every other word of the shorter name is an initial of a word
//!   of the longer one ("A. Ruiz" and "Ana Ruiz"; "J M Pérez" and "José María Pérez").
//! - A holder given as one word matches a name holding that word ("RUIZ" and "Ana Ruiz"):
//!   providers sometimes send only a surname, and asking then would be noise.
//! - One shared surname is not enough ("Pedro Ruiz" is not "Ana Ruiz": a spouse's or a
//!   child's login is exactly what the advisor must confirm).
//! - No holder names at all (the bank did not say): nothing to compare, nothing asked.

use std::collections::BTreeSet;

use serde::Serialize;

use unicode_normalization::UnicodeNormalization;

const PARTICLES: &[&str] = &[
    "de", "del", "la", "los", "las", "y", "i", "e", "van", "von", "da", "di", "du", "le",
];

/// The words of a name: lowercase, without accents or punctuation, particles left out.
pub fn name_words(name: &str) -> Vec<String> {
    let folded: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded
        .split_whitespace()
        .filter(|w| !PARTICLES.contains(w))
        .map(str::to_string)
        .collect()
}

fn is_initial(word: &str) -> bool {
    word.chars().count() == 1
}

/// Whether two names are probably the same person's (see the module's rules).
pub fn same_person(a: &str, b: &str) -> bool {
    let (a, b) = (name_words(a), name_words(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return false;
    }
    let long_words: BTreeSet<&str> = long.iter().map(String::as_str).collect();
    let whole: Vec<&String> = short
        .iter()
        .filter(|w| !is_initial(w) && long_words.contains(w.as_str()))
        .collect();
    match whole.len() {
        0 => false,
        1 if short.len() == 1 => true,
        1 => short.iter().filter(|w| !whole.contains(w)).all(|w| {
            is_initial(w)
                && long
                    .iter()
                    .any(|l| !whole.contains(&l) && l.starts_with(w.as_str()))
        }),
        _ => true,
    }
}

/// Where a connection stands with the holder check (`connections.holder_check`). Only
/// `Pending` holds its data back; every other state is in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HolderCheckState {
    /// No data yet: the first snapshot runs the check.
    Unchecked,
    /// No holder shares a name with the client: held back until the advisor answers.
    Pending,
    /// A holder is the client or a member of the client's household.
    Matched,
    /// The bank named no holder: nothing to compare, so nothing is asked (asking about every
    /// such login would teach the advisor to click through the question).
    NoHolders,
    /// The advisor confirmed a login whose holders differed.
    Confirmed,
    /// In the book before the check existed: never asked.
    BeforeCheck,
}

impl HolderCheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderCheckState::Unchecked => "unchecked",
            HolderCheckState::Pending => "pending",
            HolderCheckState::Matched => "matched",
            HolderCheckState::NoHolders => "no_holders",
            HolderCheckState::Confirmed => "confirmed",
            HolderCheckState::BeforeCheck => "before_check",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unchecked" => HolderCheckState::Unchecked,
            "pending" => HolderCheckState::Pending,
            "matched" => HolderCheckState::Matched,
            "no_holders" => HolderCheckState::NoHolders,
            "confirmed" => HolderCheckState::Confirmed,
            "before_check" => HolderCheckState::BeforeCheck,
            _ => return None,
        })
    }
}

impl HolderCheck {
    /// The state a connection takes from this result.
    pub fn state(&self) -> HolderCheckState {
        match self {
            HolderCheck::Matches => HolderCheckState::Matched,
            HolderCheck::NoHolders => HolderCheckState::NoHolders,
            HolderCheck::NoSharedName { .. } => HolderCheckState::Pending,
        }
    }
}

/// The result of comparing a login's holders with the client's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderCheck {
    /// A holder is the client (or a member of the client's household).
    Matches,
    /// The provider named no holder: nothing to compare.
    NoHolders,
    /// No holder shares a name with the client: the advisor confirms first.
    NoSharedName { holders: Vec<String> },
}

/// Compares a newly connected login's holders with the names of the client and the client's
/// household members.
pub fn check_holders(holders: &[String], client_names: &[String]) -> HolderCheck {
    let named: Vec<String> = holders
        .iter()
        .map(|h| h.trim().to_string())
        .filter(|h| !name_words(h).is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if named.is_empty() {
        return HolderCheck::NoHolders;
    }
    let matches = named
        .iter()
        .any(|h| client_names.iter().any(|c| same_person(h, c)));
    if matches {
        HolderCheck::Matches
    } else {
        HolderCheck::NoSharedName { holders: named }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accents_case_and_punctuation_are_ignored() {
        assert_eq!(
            name_words("JOSÉ-MARÍA PÉREZ, Núñez"),
            ["jose", "maria", "perez", "nunez"]
        );
        assert!(same_person("Ana Ruiz García", "ANA RUIZ GARCIA"));
        assert!(same_person("Françoise Lefèvre", "francoise lefevre"));
        assert!(same_person("Zoë O'Brien", "ZOE O BRIEN"));
    }

    #[test]
    fn the_order_of_names_is_ignored() {
        assert!(same_person("RUIZ GARCIA, ANA", "Ana Ruiz García"));
        assert!(same_person("Tremblay Luc", "Luc Tremblay"));
    }

    #[test]
    fn particles_do_not_count() {
        assert!(same_person("Ana de la Fuente", "FUENTE ANA"));
        assert!(same_person("Jan van der Berg", "Jan Berg"));
    }

    #[test]
    fn initials_stand_for_the_words_they_begin() {
        assert!(same_person("A. Ruiz", "Ana Ruiz"));
        assert!(same_person("J M Pérez", "José María Pérez Gil"));
        assert!(same_person("Ruiz, A.", "Ana Ruiz"));
        // An initial of another word does not.
        assert!(!same_person("P. Ruiz", "Ana Ruiz"));
        // Initials alone are not a name.
        assert!(!same_person("A. R.", "Ana Ruiz"));
    }

    #[test]
    fn a_shared_surname_alone_is_another_person() {
        assert!(!same_person("Pedro Ruiz", "Ana Ruiz"));
        assert!(!same_person("Marie Tremblay", "Luc Tremblay"));
        assert!(!same_person("Ana Gil", "Eva Mar"));
    }

    #[test]
    fn a_one_word_holder_matches_a_name_holding_it() {
        assert!(same_person("RUIZ", "Ana Ruiz"));
        assert!(!same_person("GOMEZ", "Ana Ruiz"));
        assert!(!same_person("", "Ana Ruiz"));
    }

    #[test]
    fn two_whole_words_are_enough_whatever_else_differs() {
        assert!(same_person("Ana María Ruiz", "Ana Ruiz Gil"));
    }

    #[test]
    fn a_login_matches_when_any_holder_is_the_client_or_a_household_member() {
        let client = names(&["Ana Ruiz", "Pedro Gómez"]);
        assert_eq!(
            check_holders(&names(&["PEDRO GOMEZ", "X"]), &client),
            HolderCheck::Matches
        );
        assert_eq!(
            check_holders(&names(&["Ruiz Ana"]), &client),
            HolderCheck::Matches
        );
        assert_eq!(
            check_holders(&names(&["Marta Gil", "Marta Gil", " "]), &client),
            HolderCheck::NoSharedName {
                holders: names(&["Marta Gil"])
            }
        );
        assert_eq!(check_holders(&[], &client), HolderCheck::NoHolders);
        assert_eq!(
            check_holders(&names(&["  ", "."]), &client),
            HolderCheck::NoHolders
        );
    }
}
