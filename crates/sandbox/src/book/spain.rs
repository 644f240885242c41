//! Spanish (Flanks) credentials: accounts with two years of transactions and running
//! balances, cards, portfolios of funds / equities / ETFs / pension plans, loans.
//! Field names follow providers.md; shapes it marks [guess] are marked here too.

use chrono::{Datelike, Duration, NaiveDate};

use super::money::Amount;
pub use super::spain_model::*;
use super::words::*;
use super::{bank, BANKS};
use crate::checkdigits::{dni_letter, isin_with_check, spanish_iban};
use crate::rng::Rng;

pub const JOINT_ACCOUNT_ALIAS: &str = "Cuenta Conjunta";
const HISTORY_DAYS: i64 = 730;

/// Everything one Flanks credential holds.
#[derive(Debug, Clone)]
pub struct FlanksData {
    pub token: String,
    pub bank: String,
    pub username: String,
    pub external_id: Option<String>,
    pub holders: Vec<Person>,
    pub accounts: Vec<Account>,
    pub transactions: Vec<AccountTransaction>,
    pub cards: Vec<Card>,
    pub card_transactions: Vec<CardTransaction>,
    pub portfolios: Vec<Portfolio>,
    pub investments: Vec<Investment>,
    pub investment_transactions: Vec<InvestmentTransaction>,
    pub liabilities: Vec<Liability>,
    pub liability_transactions: Vec<LiabilityTransaction>,
    /// Monthly salary in cents (drives the daily generator).
    salary: i64,
    rent: i64,
    bills: Vec<(usize, u32)>,
    /// The last day transactions were generated for.
    pub generated_until: NaiveDate,
    /// Accounts of this login alone (the joint account, if any, comes after them).
    own_accounts: usize,
    seed: u64,
    stream: u64,
}

/// Who a credential belongs to when it is created (seeded or through a link).
#[derive(Debug, Clone)]
pub struct Identity {
    pub token: String,
    pub bank: String,
    pub username: String,
    pub external_id: Option<String>,
}

pub fn seeded_identity(seed: u64, index: usize) -> (Identity, Person) {
    let mut rng = Rng::derive(seed, "flanks-identity", index as u64);
    let person = person(&mut rng);
    let bank = if index == 0 {
        "testbank"
    } else {
        BANKS[1 + index % (BANKS.len() - 1)].id
    };
    let id = Identity {
        token: format!("sbx-cred-{}", rng.hex(32)),
        bank: bank.to_string(),
        username: person.document_id.clone(),
        external_id: Some(format!("advisor-client-{:04}", index + 1)),
    };
    (id, person)
}

pub fn person(rng: &mut Rng) -> Person {
    let first = *rng.pick(FIRST_NAMES);
    let s1 = *rng.pick(SURNAMES);
    let s2 = *rng.pick(SURNAMES);
    let number = rng.range(10_000_000, 79_999_999) as u32;
    let city = *rng.pick(CITIES);
    let ascii = |s: &str| {
        s.to_lowercase()
            .replace(['á', 'à'], "a")
            .replace('é', "e")
            .replace('í', "i")
            .replace('ó', "o")
            .replace('ú', "u")
            .replace('ñ', "n")
    };
    Person {
        name: format!("{first} {s1} {s2}"),
        document_id: format!("{number:08}{}", dni_letter(number)),
        email: format!("{}.{}{}@correo.es", ascii(first), ascii(s1), rng.below(100)),
        phone: format!("+34 6{} {} {}", rng.digits(2), rng.digits(3), rng.digits(3)),
        address: format!(
            "Calle {} {}, {}",
            rng.pick(SURNAMES),
            rng.range(1, 120),
            city
        ),
    }
}

fn date_str(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Generates a whole credential; `index` picks the seeded identity, or pass `identity` for
/// one created through the link (its data is derived from the username so it is stable).
pub fn generate_flanks_credential(
    seed: u64,
    index: usize,
    today: NaiveDate,
    identity: Option<(Identity, Person)>,
) -> FlanksData {
    let (id, holder) = identity.unwrap_or_else(|| seeded_identity(seed, index));
    let stream = stream_of(&id.username, &id.bank) ^ index as u64;
    let mut rng = Rng::derive(seed, "flanks-data", stream);
    let bank = bank(&id.bank).unwrap_or(&BANKS[0]);
    let start = today - Duration::days(HISTORY_DAYS);
    let owner = holder.name.clone();
    let branch = rng.digits(4);
    let mut accounts = Vec::new();
    let n_accounts = 1 + rng.below(2) as usize;
    for k in 0..n_accounts {
        let (alias, desc) = if k == 0 {
            ("Cuenta Nómina", "CUENTA CORRIENTE")
        } else {
            ("Cuenta Ahorro", "CUENTA DE AHORRO")
        };
        let start_balance = if k == 0 {
            rng.range(150_000, 900_000)
        } else {
            rng.range(500_000, 4_000_000)
        };
        accounts.push(Account {
            _id: format!("acc{}", rng.hex(20)),
            iban: spanish_iban(bank.code, &branch, &rng.digits(10)),
            entity: bank.id.to_string(),
            alias: alias.to_string(),
            balance: Amount(start_balance),
            currency: "EUR",
            description: desc.to_string(),
            is_owner: true,
            num_owners: 1,
            owners: vec![owner.clone()],
        });
    }
    let card_pan_last = rng.digits(4);
    let cards = vec![Card {
        card_id: format!("card{}", rng.hex(16)),
        pan: format!("4940 19** **** {card_pan_last}"),
        name: "Tarjeta Débito Visa".to_string(),
        account_id: accounts[0]._id.clone(),
        currency: "EUR",
        entity: bank.id.to_string(),
    }];
    let n_bills = 2 + rng.below(3) as usize;
    let bills = (0..n_bills)
        .map(|_| {
            (
                rng.below(BILLS.len() as u64) as usize,
                2 + rng.below(25) as u32,
            )
        })
        .collect();
    let mut data = FlanksData {
        token: id.token,
        bank: bank.id.to_string(),
        username: id.username,
        external_id: id.external_id,
        holders: vec![holder],
        accounts,
        transactions: Vec::new(),
        cards,
        card_transactions: Vec::new(),
        portfolios: Vec::new(),
        investments: Vec::new(),
        investment_transactions: Vec::new(),
        liabilities: Vec::new(),
        liability_transactions: Vec::new(),
        salary: rng.range(180_000, 520_000),
        rent: rng.range(60_000, 140_000),
        bills,
        generated_until: start - Duration::days(1),
        own_accounts: n_accounts,
        seed,
        stream,
    };
    if rng.chance(0.4) {
        add_mortgage(&mut data, &mut rng, start);
    }
    add_portfolios(&mut data, &mut rng, start, today);
    extend_until(&mut data, today);
    data
}

fn stream_of(username: &str, bank: &str) -> u64 {
    let mut h: u64 = 0x1234_5678_9abc_def0;
    for b in username.bytes().chain(bank.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn add_mortgage(data: &mut FlanksData, rng: &mut Rng, start: NaiveDate) {
    let initial = rng.range(90_000, 320_000) * 100;
    let years_in = rng.range(3, 15);
    let outstanding = initial - initial * years_in / 30;
    let owner = data.holders[0].name.clone();
    data.liabilities.push(Liability {
        _id: format!("loan{}", rng.hex(16)),
        name: "Préstamo Hipotecario Vivienda".to_string(),
        kind: "Loan",
        currency: "EUR",
        balance: Amount(outstanding),
        initial_amount: Amount(initial),
        interest_rate: 2.15 + rng.below(150) as f64 / 100.0,
        start_date: date_str(start - Duration::days(365 * years_in)),
        end_date: date_str(start + Duration::days(365 * (30 - years_in))),
        owners: vec![owner],
        entity: data.bank.clone(),
    });
}

/// (investment type, name, ISIN country, price in cents)
type PlanItem = (&'static str, String, String, i64);
/// (portfolio type, name, its investments)
type Plan = (&'static str, String, Vec<PlanItem>);

fn add_portfolios(data: &mut FlanksData, rng: &mut Rng, start: NaiveDate, today: NaiveDate) {
    let owner = data.holders[0].name.clone();
    let updated = today
        .and_hms_opt(6, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());
    let mut used_isins = std::collections::HashSet::new();
    let mut unique_isin = |rng: &mut Rng, country: &str| loop {
        let isin = isin_with_check(&format!("{country}{}", rng.alnum_upper(9)));
        if used_isins.insert(isin.clone()) {
            return isin;
        }
    };
    // (portfolio type, name, investments as (type, name, country, price cents))
    let mut plans: Vec<Plan> = Vec::new();
    let funds = (0..2 + rng.below(3))
        .map(|_| {
            let house = *rng.pick(FUND_HOUSES);
            let style = *rng.pick(FUND_STYLES);
            let country = if rng.chance(0.5) { "ES" } else { "LU" };
            (
                "F",
                format!("{house} {style} FI"),
                country.to_string(),
                rng.range(800, 30_000),
            )
        })
        .collect();
    plans.push(("F", "Cartera de Fondos".to_string(), funds));
    let mut secs: Vec<_> = (0..1 + rng.below(3))
        .map(|_| {
            let (name, country, price) = *rng.pick(EQUITIES);
            ("VI", name.to_string(), country.to_string(), price)
        })
        .collect();
    secs.dedup_by(|a, b| a.1 == b.1);
    if rng.chance(0.7) {
        let etf = *rng.pick(ETFS);
        secs.push((
            "ETF",
            etf.to_string(),
            "IE".to_string(),
            rng.range(2_000, 12_000),
        ));
    }
    plans.push(("S", "Cartera de Valores".to_string(), secs));
    if rng.chance(0.6) {
        let plan = *rng.pick(PENSION_PLANS);
        plans.push((
            "PP",
            plan.to_string(),
            vec![(
                "PP",
                plan.to_string(),
                "ES".to_string(),
                rng.range(1_000, 2_500),
            )],
        ));
    }
    let ref_account = data.accounts[0].iban.clone();
    for (ptype, pname, items) in plans {
        let pid = format!("pf{}", rng.hex(20));
        let mut total = 0i64;
        for (itype, iname, country, price_now) in items {
            let isin = unique_isin(rng, &country);
            let inv_id = format!("{}{}", data.token, isin);
            // Monthly or sporadic purchases over the two years, at a drifting price.
            let mut units = 0.0f64;
            let mut day = start + Duration::days(rng.range(0, 60));
            let mut n = 0;
            while day <= today {
                let elapsed = (day - start).num_days() as f64 / HISTORY_DAYS as f64;
                let price = ((price_now as f64) * (0.8 + 0.2 * elapsed))
                    .round()
                    .max(1.0) as i64;
                let gross = rng.range(10_000, 60_000);
                let bought = (gross as f64 / price as f64 * 1000.0).round() / 1000.0;
                units += bought;
                data.investment_transactions.push(InvestmentTransaction {
                    _id: format!("{inv_id}-{n:04}"),
                    investment_id: inv_id.clone(),
                    portfolio_id: pid.clone(),
                    isin: isin.clone(),
                    name: iname.clone(),
                    operation: if itype == "VI" || itype == "ETF" {
                        "Compra"
                    } else {
                        "Suscripción"
                    },
                    units: bought,
                    price: Amount(price),
                    amount: Amount(gross),
                    currency: "EUR",
                    operation_date: date_str(day),
                    value_date: date_str(day + Duration::days(2)),
                });
                n += 1;
                day += Duration::days(if ptype == "S" { rng.range(60, 200) } else { 30 });
            }
            let balance = (units * price_now as f64).round() as i64;
            total += balance;
            data.investments.push(Investment {
                _id: inv_id,
                name: iname,
                isin,
                portfolio_id: pid.clone(),
                kind: itype,
                amount: (units * 1000.0).round() / 1000.0,
                balance: Amount(balance),
                currency: "EUR",
                price_cents: price_now,
            });
        }
        data.portfolios.push(Portfolio {
            _id: pid,
            name: pname,
            kind: ptype,
            tax_type: if ptype == "PP" { Some("pension") } else { None },
            currency: "EUR",
            ref_valores: (ptype == "S").then(|| format!("{}{}", data.bank.len(), rng.digits(12))),
            ref_account: Some(ref_account.clone()),
            ref_accounts: vec![ref_account.clone()],
            owners: vec![owner.clone()],
            balance: Amount(total),
            entity: data.bank.clone(),
            external_id: data.external_id.clone(),
            updated_at_timestamp: updated,
        });
    }
}

/// Generates every day after `generated_until` up to `until`, keeping running balances.
/// Used for the initial two years and by the daily refresh.
pub fn extend_until(data: &mut FlanksData, until: NaiveDate) {
    let mut day = data.generated_until + Duration::days(1);
    while day <= until {
        let mut rng = Rng::derive(
            data.seed,
            "flanks-day",
            data.stream ^ (day.num_days_from_ce() as u64).wrapping_mul(0x9E37),
        );
        generate_day(data, &mut rng, day);
        day += Duration::days(1);
    }
    data.generated_until = data.generated_until.max(until);
}

// One call per movement reads best with every field spelled out at the call site.
#[allow(clippy::too_many_arguments)]
fn push_tx(
    data: &mut FlanksData,
    acc: usize,
    day: NaiveDate,
    amount: i64,
    description: String,
    category: &'static str,
    card: bool,
    transfer: Option<Transfer>,
) -> bool {
    let account = &mut data.accounts[acc];
    let new_balance = account.balance.0 + amount;
    // The generator never lets an account go overdrawn: the debit is simply not made.
    if amount < 0 && new_balance < 0 {
        return false;
    }
    account.balance = Amount(new_balance);
    let n = data.transactions.len();
    let card_number = card.then(|| data.cards[0].pan.clone());
    data.transactions.push(AccountTransaction {
        _id: format!("{}-{n:06}", account._id),
        account_id: account._id.clone(),
        amount: Amount(amount),
        balance: Amount(new_balance),
        currency: "EUR",
        operation_date: date_str(day),
        value_date: date_str(day),
        description,
        product_description: account.alias.clone(),
        category,
        card_number,
        transfer,
    });
    true
}

fn generate_day(data: &mut FlanksData, rng: &mut Rng, day: NaiveDate) {
    let dom = day.day();
    let main = 0;
    let holder = data.holders[0].name.to_uppercase();
    let main_iban = data.accounts[main].iban.clone();
    if dom == 1 {
        let employer = *rng.pick(EMPLOYERS);
        let jitter = rng.range(-2_000, 2_000);
        push_tx(
            data,
            main,
            day,
            data.salary + jitter,
            format!("TRANSFERENCIA NOMINA {employer}"),
            "Nómina",
            false,
            Some(Transfer {
                payer: employer.to_string(),
                iban_payer: spanish_iban(
                    "2100",
                    "0001",
                    &format!("{:010}", data.stream % 10_000_000_000),
                ),
                beneficiary: holder.clone(),
                iban_beneficiary: main_iban.clone(),
            }),
        );
    }
    if dom == 3 {
        if let Some(l) = data.liabilities.first().cloned() {
            let quota = l.initial_amount.0 / 300;
            let interest = (l.balance.0 as f64 * l.interest_rate / 1200.0).round() as i64;
            if push_tx(
                data,
                main,
                day,
                -quota,
                "RECIBO PRESTAMO HIPOTECARIO".into(),
                "Préstamos",
                false,
                None,
            ) {
                let lia = &mut data.liabilities[0];
                let principal = (quota - interest).max(0);
                lia.balance = Amount((lia.balance.0 - principal).max(0));
                let n = data.liability_transactions.len();
                data.liability_transactions.push(LiabilityTransaction {
                    _id: format!("{}-{n:04}", lia._id),
                    liability_id: lia._id.clone(),
                    amount: Amount(quota),
                    principal: Amount(principal),
                    interest: Amount(interest),
                    balance: lia.balance,
                    currency: "EUR",
                    operation_date: date_str(day),
                    description: "CUOTA PRESTAMO HIPOTECARIO".into(),
                });
            }
        } else {
            let rent = data.rent;
            push_tx(
                data,
                main,
                day,
                -rent,
                "TRANSFERENCIA ALQUILER VIVIENDA".into(),
                "Vivienda",
                false,
                None,
            );
        }
    }
    for (bill, bill_day) in data.bills.clone() {
        if dom == bill_day {
            let (name, cat, typical) = BILLS[bill];
            let amount = typical + rng.range(-typical / 5, typical / 5);
            push_tx(
                data,
                main,
                day,
                -amount,
                format!("RECIBO {name}"),
                cat,
                false,
                None,
            );
        }
    }
    if data.own_accounts > 1 && dom == 2 {
        let amount = (data.salary / 10 / 100) * 100;
        if push_tx(
            data,
            main,
            day,
            -amount,
            "TRASPASO A CUENTA AHORRO".into(),
            "Ahorro",
            false,
            None,
        ) {
            push_tx(
                data,
                1,
                day,
                amount,
                format!("TRASPASO DESDE {main_iban}"),
                "Ahorro",
                false,
                None,
            );
        }
    }
    if data.own_accounts > 1 && dom == 28 {
        let interest = data.accounts[1].balance.0 / 1200;
        if interest > 0 {
            push_tx(
                data,
                1,
                day,
                interest,
                "ABONO INTERESES".into(),
                "Intereses",
                false,
                None,
            );
        }
    }
    // Card purchases: most days one, sometimes two.
    let purchases = if rng.chance(0.55) {
        1 + usize::from(rng.chance(0.3))
    } else {
        0
    };
    for _ in 0..purchases {
        let (shop, cat, typical) = *rng.pick(SHOPS);
        let city = *rng.pick(CITIES);
        let amount = (typical / 3 + rng.range(0, typical * 4 / 3)).max(100);
        let pan = data.cards[0].pan.clone();
        if push_tx(
            data,
            main,
            day,
            -amount,
            format!("COMPRA TARJ. {pan} {shop} {city}"),
            cat,
            true,
            None,
        ) {
            let card = &data.cards[0];
            let n = data.card_transactions.len();
            data.card_transactions.push(CardTransaction {
                _id: format!("{}-{n:06}", card.card_id),
                card_id: card.card_id.clone(),
                amount: Amount(-amount),
                currency: "EUR",
                operation_date: date_str(day),
                description: format!("{shop} {city}"),
                category: cat,
            });
        }
    }
    if rng.chance(0.06) {
        let amount = rng.range(2, 10) * 1_000;
        push_tx(
            data,
            main,
            day,
            -amount,
            "REINTEGRO CAJERO".into(),
            "Efectivo",
            true,
            None,
        );
    }
    if rng.chance(0.05) {
        let who = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(SURNAMES)).to_uppercase();
        let amount = rng.range(5, 60) * 100;
        if rng.chance(0.5) {
            push_tx(
                data,
                main,
                day,
                amount,
                format!("BIZUM DE {who} CONCEPTO CENA"),
                "Bizum",
                false,
                None,
            );
        } else {
            push_tx(
                data,
                main,
                day,
                -amount,
                format!("BIZUM A {who} CONCEPTO REGALO"),
                "Bizum",
                false,
                None,
            );
        }
    }
}

/// Gives credentials 0 and 1 a joint account (same IBAN, both holders, same movements, but
/// per-credential ids as Flanks ids are per credential), exercising ownership mapping.
pub fn share_joint_account(creds: &mut [FlanksData], today: NaiveDate) {
    let a_name = creds[0].holders[0].name.clone();
    let b_name = creds[1].holders[0].name.clone();
    let b_holder = creds[1].holders[0].clone();
    let mut rng = Rng::derive(creds[0].seed, "joint", 0);
    let bank = bank(&creds[0].bank).unwrap_or(&BANKS[0]);
    let iban = spanish_iban(bank.code, &rng.digits(4), &rng.digits(10));
    let start = today - Duration::days(HISTORY_DAYS);
    let mut rows: Vec<(NaiveDate, i64, String, &'static str)> = Vec::new();
    let mut day = start;
    while day <= today {
        if day.day() == 5 {
            rows.push((
                day,
                60_000,
                format!("TRANSFERENCIA DE {}", a_name.to_uppercase()),
                "Traspasos",
            ));
            rows.push((
                day,
                60_000,
                format!("TRANSFERENCIA DE {}", b_name.to_uppercase()),
                "Traspasos",
            ));
        }
        if rng.chance(0.35) {
            let (shop, cat, typical) = *rng.pick(SHOPS);
            rows.push((
                day,
                -(typical / 2 + rng.range(0, typical)),
                format!("COMPRA {shop}"),
                cat,
            ));
        }
        day += Duration::days(1);
    }
    for (ci, cred) in creds.iter_mut().take(2).enumerate() {
        let acc_id = format!("acc{}j{ci}", &cred.token[9..25]);
        let mut balance = 250_000i64;
        for (n, (d, amount, desc, cat)) in rows.iter().enumerate() {
            balance += amount;
            cred.transactions.push(AccountTransaction {
                _id: format!("{acc_id}-{n:06}"),
                account_id: acc_id.clone(),
                amount: Amount(*amount),
                balance: Amount(balance),
                currency: "EUR",
                operation_date: date_str(*d),
                value_date: date_str(*d),
                description: desc.clone(),
                product_description: JOINT_ACCOUNT_ALIAS.into(),
                category: cat,
                card_number: None,
                transfer: None,
            });
        }
        cred.accounts.push(Account {
            _id: acc_id,
            iban: iban.clone(),
            entity: bank.id.to_string(),
            alias: JOINT_ACCOUNT_ALIAS.into(),
            balance: Amount(balance),
            currency: "EUR",
            description: "CUENTA CORRIENTE".into(),
            is_owner: true,
            num_owners: 2,
            owners: vec![a_name.clone(), b_name.clone()],
        });
    }
    // Credential 0's login sees both holders; credential 1 already holds B.
    creds[0].holders.push(b_holder);
}
