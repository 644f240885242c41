//! What became of the firm-wide things a solo book brings (its provider API keys, its book
//! settings): the firm holds one of each, set by its administrator, so the first book's value
//! becomes the firm's and a later book's is left and said.

/// Names carried into the firm, and names left out with why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CarriedOver {
    /// Set in the firm from this book (the firm had none).
    pub carried: Vec<String>,
    /// Left out because the firm already has its own value.
    pub firm_has_its_own: Vec<String>,
    /// Left out because only the firm's administrator may set firm-wide values.
    pub needs_the_administrator: Vec<String>,
}

/// Where one firm-wide value of the book goes.
pub(super) enum Verdict {
    Carry,
    FirmHasItsOwn,
    NeedsTheAdministrator,
}

impl Verdict {
    /// The rule: the firm's own value wins; else the administrator's move sets it.
    pub(super) fn of(firm_has_one: bool, mover_is_admin: bool) -> Verdict {
        match (firm_has_one, mover_is_admin) {
            (true, _) => Verdict::FirmHasItsOwn,
            (false, true) => Verdict::Carry,
            (false, false) => Verdict::NeedsTheAdministrator,
        }
    }
}

impl CarriedOver {
    /// Lists `name` under its verdict.
    pub(super) fn note(&mut self, verdict: &Verdict, name: String) {
        match verdict {
            Verdict::Carry => self.carried.push(name),
            Verdict::FirmHasItsOwn => self.firm_has_its_own.push(name),
            Verdict::NeedsTheAdministrator => self.needs_the_administrator.push(name),
        }
    }
}
