//! Canadian (Flinks) logins: chequing, savings, credit card, TFSA and RRSP accounts in CAD,
//! sometimes a USD account, with a year of transactions and running balances.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::money::Amount;
use super::words::*;
use crate::rng::Rng;

const HISTORY_DAYS: i64 = 365;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinksAddress {
    pub civic_address: String,
    pub city: String,
    pub province: String,
    pub postal_code: String,
    #[serde(rename = "POBox")]
    pub po_box: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinksHolder {
    pub name: String,
    pub address: FlinksAddress,
    pub email: String,
    pub phone_number: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinksTransaction {
    pub id: String,
    pub date: String,
    pub code: Option<String>,
    pub description: String,
    pub debit: Option<Amount>,
    pub credit: Option<Amount>,
    pub balance: Amount,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinksBalance {
    pub available: Option<Amount>,
    pub current: Amount,
    pub limit: Option<Amount>,
}

/// What the generator needs to continue an account's history on a daily refresh.
#[derive(Debug, Clone)]
pub struct AccountGen {
    seed: u64,
    kind: &'static str,
    currency: &'static str,
    /// Salary per pay day (chequing), in cents.
    pay: i64,
    /// Last day generated.
    pub until: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlinksAccount {
    pub id: String,
    pub title: String,
    pub account_number: String,
    pub last_four_digits: String,
    pub transit_number: String,
    pub institution_number: String,
    pub overdraft_limit: Option<i64>,
    pub category: &'static str,
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub currency: &'static str,
    pub balance: FlinksBalance,
    pub holder: FlinksHolder,
    pub account_type: Option<String>,
    pub transactions: Vec<FlinksTransaction>,
    #[serde(skip)]
    pub gen: AccountGen,
}

#[derive(Debug, Clone)]
pub struct FlinksLogin {
    pub login_id: String,
    pub username: String,
    pub holder_name: String,
    pub accounts: Vec<FlinksAccount>,
}

/// loginIds are GUIDs whose last group starts with `5a4db0` ("sandbox"), so they are easy to
/// spot in logs and secret audits.
pub fn login_id(rng: &mut Rng) -> String {
    format!(
        "{}-{}-4{}-8{}-5a4db0{}",
        rng.hex(8),
        rng.hex(4),
        rng.hex(3),
        rng.hex(3),
        rng.hex(6)
    )
}

pub fn seeded_username(index: usize) -> String {
    format!("sbx_client_{:02}", index + 1)
}

pub fn generate_flinks_login(seed: u64, index: usize, today: NaiveDate) -> FlinksLogin {
    generate_for_username(seed, &seeded_username(index), today)
}

/// Data is a function of the username so the same bank login always yields the same data.
pub fn generate_for_username(seed: u64, username: &str, today: NaiveDate) -> FlinksLogin {
    let mut h: u64 = 0xf1f1_0000;
    for b in username.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = Rng::derive(seed, "flinks-login", h);
    let name = format!("{} {}", rng.pick(CA_FIRST), rng.pick(CA_LAST));
    let (city, province, fsa) = *rng.pick(CA_CITIES);
    let holder = FlinksHolder {
        name: name.clone(),
        address: FlinksAddress {
            civic_address: format!("{} {} Street", rng.range(10, 9000), rng.pick(CA_LAST)),
            city: city.to_string(),
            province: province.to_string(),
            postal_code: format!(
                "{fsa} {}{}{}",
                rng.below(10),
                char::from(b'A' + rng.below(26) as u8),
                rng.below(10)
            ),
            po_box: None,
            country: "CA".to_string(),
        },
        email: format!("{}@example.ca", name.to_lowercase().replace(' ', ".")),
        phone_number: format!(
            "{}-{}-{}",
            rng.range(200, 999),
            rng.digits(3),
            rng.digits(4)
        ),
    };
    let transit = rng.digits(5);
    // (title, type, category, currency, opening balance in cents)
    let mut plan: Vec<(&str, &'static str, &'static str, &'static str, i64)> = vec![
        (
            "Chequing",
            "Chequing",
            "Operations",
            "CAD",
            rng.range(120_000, 600_000),
        ),
        (
            "Credit Card",
            "CreditCard",
            "Credits",
            "CAD",
            -rng.range(20_000, 250_000),
        ),
    ];
    if rng.chance(0.7) {
        plan.push((
            "High Interest Savings",
            "Savings",
            "Operations",
            "CAD",
            rng.range(300_000, 2_500_000),
        ));
    }
    plan.push((
        "TFSA",
        "TFSA",
        "Products",
        "CAD",
        rng.range(500_000, 9_000_000),
    ));
    if rng.chance(0.6) {
        plan.push((
            "RRSP",
            "RRSP",
            "Products",
            "CAD",
            rng.range(1_000_000, 20_000_000),
        ));
    }
    if rng.chance(0.4) {
        plan.push((
            "US Dollar Chequing",
            "Chequing",
            "Operations",
            "USD",
            rng.range(50_000, 800_000),
        ));
    }
    let start = today - Duration::days(HISTORY_DAYS);
    let accounts = plan
        .into_iter()
        .map(|(title, kind, category, currency, opening)| {
            let number = rng.digits(7);
            let id = format!(
                "{}-{}-4{}-a{}-{}",
                rng.hex(8),
                rng.hex(4),
                rng.hex(3),
                rng.hex(3),
                rng.hex(12)
            );
            let limit = (kind == "CreditCard").then_some(Amount(1_000_000));
            let gen = AccountGen {
                seed,
                kind,
                currency,
                pay: rng.range(150_000, 380_000),
                until: start - Duration::days(1),
            };
            let mut account = FlinksAccount {
                last_four_digits: number[number.len() - 4..].to_string(),
                account_number: number,
                transit_number: transit.clone(),
                institution_number: "777".to_string(),
                overdraft_limit: (kind == "Chequing").then_some(0),
                category,
                kind,
                currency,
                balance: FlinksBalance {
                    available: None,
                    current: Amount(opening),
                    limit,
                },
                holder: holder.clone(),
                account_type: None,
                title: title.to_string(),
                id,
                transactions: Vec::new(),
                gen,
            };
            extend_account(&mut account, today);
            account
        })
        .collect();
    FlinksLogin {
        login_id: login_id(&mut rng),
        username: username.to_string(),
        holder_name: name,
        accounts,
    }
}

/// Movements for one account. Credit card balances are negative (owed) and a payment from
/// chequing brings them back up monthly.
fn account_history(
    gen: &AccountGen,
    account_id: &str,
    opening: i64,
    first_index: usize,
    start: NaiveDate,
    today: NaiveDate,
) -> Vec<FlinksTransaction> {
    let (kind, currency, pay) = (gen.kind, gen.currency, gen.pay);
    let mut h: u64 = 0;
    for b in account_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = Vec::new();
    let mut balance = opening;
    let mut day = start;
    let push = |out: &mut Vec<FlinksTransaction>,
                day: NaiveDate,
                amount: i64,
                desc: String,
                balance: &mut i64| {
        *balance += amount;
        out.push(FlinksTransaction {
            id: format!("{}{:05}", &account_id[..8], first_index + out.len()),
            date: day.format("%Y-%m-%d").to_string(),
            code: None,
            description: desc,
            debit: (amount < 0).then_some(Amount(-amount)),
            credit: (amount >= 0).then_some(Amount(amount)),
            balance: Amount(*balance),
        });
    };
    while day <= today {
        // One stream per account and day, so a refresh continues exactly where we stopped.
        let rng = &mut Rng::derive(
            gen.seed,
            "flinks-day",
            h ^ (day.num_days_from_ce() as u64).wrapping_mul(0x9E37),
        );
        let dom = day.day();
        match (kind, currency) {
            ("Chequing", "CAD") => {
                if dom == 15 || dom == 30 {
                    push(
                        &mut out,
                        day,
                        pay,
                        "PAYROLL DEP ACME CORP".into(),
                        &mut balance,
                    );
                }
                if dom == 1 {
                    push(
                        &mut out,
                        day,
                        -rng.range(110_000, 190_000),
                        "RENT PAYMENT E-TRANSFER".into(),
                        &mut balance,
                    );
                }
                if dom == 20 {
                    let (biller, typical) = *rng.pick(CA_BILLS);
                    push(
                        &mut out,
                        day,
                        -(typical + rng.range(0, typical / 4)),
                        format!("BILL PAYMENT {biller}"),
                        &mut balance,
                    );
                }
                if rng.chance(0.25) {
                    let (shop, typical) = *rng.pick(CA_SHOPS);
                    let amount = typical / 2 + rng.range(0, typical);
                    if balance - amount > 0 {
                        push(
                            &mut out,
                            day,
                            -amount,
                            format!("INTERAC PURCHASE {shop}"),
                            &mut balance,
                        );
                    }
                }
            }
            ("Chequing", _) => {
                if rng.chance(0.04) {
                    let amount = rng.range(2_000, 40_000);
                    if balance - amount > 0 {
                        push(
                            &mut out,
                            day,
                            -amount,
                            "US PURCHASE AMAZON.COM".into(),
                            &mut balance,
                        );
                    }
                }
                if dom == 10 && rng.chance(0.3) {
                    push(
                        &mut out,
                        day,
                        rng.range(10_000, 100_000),
                        "WIRE TRANSFER RECEIVED".into(),
                        &mut balance,
                    );
                }
            }
            ("CreditCard", _) => {
                if rng.chance(0.6) {
                    let (shop, typical) = *rng.pick(CA_SHOPS);
                    push(
                        &mut out,
                        day,
                        -(typical / 2 + rng.range(0, typical)),
                        shop.to_string(),
                        &mut balance,
                    );
                }
                if dom == 25 && balance < 0 {
                    push(
                        &mut out,
                        day,
                        -balance,
                        "PAYMENT - THANK YOU".into(),
                        &mut balance,
                    );
                }
            }
            ("Savings", _) => {
                if dom == 16 {
                    push(
                        &mut out,
                        day,
                        rng.range(10_000, 50_000),
                        "TRANSFER FROM CHEQUING".into(),
                        &mut balance,
                    );
                }
                if dom == 28 {
                    push(
                        &mut out,
                        day,
                        balance / 600,
                        "INTEREST".into(),
                        &mut balance,
                    );
                }
            }
            _ => {
                // TFSA / RRSP: monthly contribution, quarterly distribution.
                if dom == 3 {
                    push(
                        &mut out,
                        day,
                        rng.range(10_000, 60_000),
                        "CONTRIBUTION".into(),
                        &mut balance,
                    );
                }
                if dom == 28 && day.month().is_multiple_of(3) {
                    push(
                        &mut out,
                        day,
                        balance / 400,
                        "DISTRIBUTION REINVESTED".into(),
                        &mut balance,
                    );
                }
            }
        }
        day += Duration::days(1);
    }
    out
}

/// Generates the account's movements after its last generated day up to `until` and updates
/// its balances (initial history and the daily refresh).
pub fn extend_account(acc: &mut FlinksAccount, until: NaiveDate) {
    if until <= acc.gen.until {
        return;
    }
    let start = acc.gen.until + Duration::days(1);
    let opening = acc.balance.current.0;
    let new = account_history(
        &acc.gen,
        &acc.id,
        opening,
        acc.transactions.len(),
        start,
        until,
    );
    acc.transactions.extend(new);
    let current = acc
        .transactions
        .last()
        .map_or(Amount(opening), |t| t.balance);
    acc.balance.current = current;
    acc.balance.available = Some(match acc.balance.limit {
        Some(l) => Amount(l.0 + current.0),
        None => current,
    });
    acc.gen.until = until;
}
