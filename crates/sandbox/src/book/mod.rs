//! The seeded book: every credential the sandbox starts with, generated deterministically
//! from `(seed, size, anchor date)`. Types serialise to exactly the provider shapes.

mod canada;
pub mod link_holders;
pub mod money;
mod spain;
mod spain_model;
mod words;

use chrono::NaiveDate;
use serde::Serialize;

pub use canada::{
    extend_account, generate_flinks_login, generate_for_username, login_id, FlinksAccount,
    FlinksHolder, FlinksLogin, FlinksTransaction,
};
pub use money::Amount;
pub use spain::{
    extend_until, generate_flanks_credential, person, seeded_identity, Account, AccountTransaction,
    Card, CardTransaction, FlanksData, Identity, Investment, InvestmentTransaction, Liability,
    LiabilityTransaction, Person, Portfolio, Transfer, JOINT_ACCOUNT_ALIAS,
};

/// One bank the Flanks side knows. All of them behave like TestBank in the sandbox.
#[derive(Debug, Clone, Serialize)]
pub struct Bank {
    pub id: &'static str,
    pub name: &'static str,
    pub country: &'static str,
    /// Spanish bank code used in IBANs.
    #[serde(skip)]
    pub code: &'static str,
    #[serde(skip)]
    pub colour: &'static str,
}

/// Bank ids other than `testbank` are our guess at Flanks' naming (lowercase names).
pub const BANKS: &[Bank] = &[
    Bank {
        id: "testbank",
        name: "TestBank",
        country: "ES",
        code: "9999",
        colour: "#6b7280",
    },
    Bank {
        id: "santander",
        name: "Banco Santander",
        country: "ES",
        code: "0049",
        colour: "#ec0000",
    },
    Bank {
        id: "bbva",
        name: "BBVA",
        country: "ES",
        code: "0182",
        colour: "#004481",
    },
    Bank {
        id: "caixabank",
        name: "CaixaBank",
        country: "ES",
        code: "2100",
        colour: "#007eae",
    },
    Bank {
        id: "sabadell",
        name: "Banco Sabadell",
        country: "ES",
        code: "0081",
        colour: "#0099d8",
    },
    Bank {
        id: "bankinter",
        name: "Bankinter",
        country: "ES",
        code: "0128",
        colour: "#ff6600",
    },
    Bank {
        id: "ing",
        name: "ING",
        country: "ES",
        code: "1465",
        colour: "#ff6200",
    },
    Bank {
        id: "openbank",
        name: "Openbank",
        country: "ES",
        code: "0073",
        colour: "#e4002b",
    },
    Bank {
        id: "myinvestor",
        name: "MyInvestor",
        country: "ES",
        code: "1544",
        colour: "#1d3557",
    },
];

pub fn bank(id: &str) -> Option<&'static Bank> {
    BANKS.iter().find(|b| b.id == id)
}

/// The whole seeded book.
#[derive(Debug, Clone)]
pub struct Book {
    pub flanks: Vec<FlanksData>,
    pub flinks: Vec<FlinksLogin>,
}

/// How many of `total` credentials are Flanks ones: 8 of the default 11, the same ratio above.
pub fn split(total: usize) -> (usize, usize) {
    if total <= 1 {
        return (total, 0);
    }
    let flinks = ((total * 3 + 5) / 11).max(1);
    (total - flinks, flinks)
}

pub fn generate(seed: u64, total: usize, today: NaiveDate) -> Book {
    let (n_flanks, n_flinks) = split(total);
    let mut flanks: Vec<FlanksData> = (0..n_flanks)
        .map(|i| generate_flanks_credential(seed, i, today, None))
        .collect();
    if flanks.len() >= 2 {
        spain::share_joint_account(&mut flanks, today);
    }
    let flinks = (0..n_flinks)
        .map(|i| generate_flinks_login(seed, i, today))
        .collect();
    Book { flanks, flinks }
}

/// Number of transaction rows of all kinds in the book (for the benchmark and tests).
pub fn transaction_count(book: &Book) -> usize {
    let es: usize = book
        .flanks
        .iter()
        .map(|c| {
            c.transactions.len()
                + c.card_transactions.len()
                + c.investment_transactions.len()
                + c.liability_transactions.len()
        })
        .sum();
    let ca: usize = book
        .flinks
        .iter()
        .flat_map(|l| &l.accounts)
        .map(|a| a.transactions.len())
        .sum();
    es + ca
}
