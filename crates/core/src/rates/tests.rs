use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::money::Currency;

const ECB_DAILY: &str = include_str!("fixtures/eurofxref-daily.xml");
const ECB_90D: &str = include_str!("fixtures/eurofxref-hist-90d.xml");
const VALET_DAILY: &str = include_str!("fixtures/valet-fx-rates-daily.json");

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn cur(c: &str) -> Currency {
    Currency::parse(c).unwrap()
}

/// A store holding both fixtures' rates.
fn cached() -> Store {
    let s = Store::open_in_memory().unwrap();
    let mut all = ecb::parse(ECB_90D).unwrap();
    all.extend(ecb::parse(ECB_DAILY).unwrap());
    all.extend(boc::parse(VALET_DAILY).unwrap());
    let at = crate::time::now();
    record_fetched(&s, RateSource::Ecb, &all, at).unwrap();
    s
}

fn convert(s: &Store, base: &str, amounts: &[(&str, i64)], on: NaiveDate) -> BaseTotal {
    let amounts: Vec<_> = amounts.iter().map(|(c, m)| (c.to_string(), *m)).collect();
    s.read(|c| convert_totals(c, cur(base), &amounts, on))
        .unwrap()
}

#[test]
fn the_ecb_daily_and_history_files_are_parsed() {
    let daily = ecb::parse(ECB_DAILY).unwrap();
    assert_eq!(daily.len(), 6);
    assert!(daily
        .iter()
        .all(|r| r.date == day(19) && r.source == RateSource::Ecb));
    let usd = daily.iter().find(|r| r.currency == "USD").unwrap();
    assert_eq!(usd.rate, dec("1.0850"));
    let jpy = daily.iter().find(|r| r.currency == "JPY").unwrap();
    assert_eq!(jpy.rate, dec("162.45"));

    let hist = ecb::parse(ECB_90D).unwrap();
    let days: std::collections::BTreeSet<_> = hist.iter().map(|r| r.date).collect();
    assert_eq!(
        days.into_iter().collect::<Vec<_>>(),
        [day(17), day(18), day(19)]
    );
    assert_eq!(hist.len(), 6);
}

#[test]
fn the_bank_of_canada_valet_group_is_parsed_and_empty_values_skipped() {
    let rates = boc::parse(VALET_DAILY).unwrap();
    // Four series on the 18th, three on the 19th (JPY has an empty value that day).
    assert_eq!(rates.len(), 7);
    let usd19 = rates
        .iter()
        .find(|r| r.currency == "USD" && r.date == day(19))
        .unwrap();
    assert_eq!(usd19.rate, dec("1.3567"));
    assert_eq!(usd19.source, RateSource::BankOfCanada);
    assert!(!rates
        .iter()
        .any(|r| r.currency == "JPY" && r.date == day(19)));
}

#[test]
fn documents_not_in_the_documented_format_are_refused() {
    for (xml, needle) in [
        (
            "<Cube><Cube time='2026-03-19'><Cube currency='USD' rate='1.1'/></Cube></Cube>",
            "Envelope",
        ),
        (&ECB_DAILY.replace("1.0850", "-1.0850"), "not positive"),
        (&ECB_DAILY.replace("1.0850", "1,0850"), "not a rate"),
        (&ECB_DAILY.replace("2026-03-19", "19/03/2026"), "not a date"),
        (&ECB_DAILY.replace("time='2026-03-19'", ""), "has no date"),
        (
            "<gesmes:Envelope xmlns:gesmes='x'><Cube></Cube></gesmes:Envelope>",
            "no rates",
        ),
        ("<gesmes:Envelope><Cube", "ECB"),
    ] {
        let err = ecb::parse(xml).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    for (json, needle) in [
        ("{}", "seriesDetail"),
        (
            r#"{"seriesDetail": {"V39079": {}}, "observations": []}"#,
            "no FX",
        ),
        (
            &VALET_DAILY.replace("\"2026-03-18\"", "\"18 March\""),
            "not a date",
        ),
        (&VALET_DAILY.replace("1.3581", "n/a"), "not a rate"),
    ] {
        let err = boc::parse(json).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn cross_rates_go_through_the_euro_or_the_canadian_dollar() {
    let s = cached();
    // EUR base: 1 000.00 USD / 1.0850 = 921.66 EUR; 10 000 JPY (no minor unit) / 162.45.
    let t = convert(
        &s,
        "EUR",
        &[("EUR", 50_000), ("USD", 100_000), ("JPY", 10_000)],
        day(20),
    );
    assert!(!t.partial);
    let usd = t.converted.iter().find(|c| c.currency == "USD").unwrap();
    assert_eq!(usd.base_minor, 92_166);
    let r = usd.rate.as_ref().unwrap();
    assert_eq!((r.source, r.date), (RateSource::Ecb, day(19)));
    assert_eq!(r.rate, dec("0.921659"));
    assert_eq!(
        t.converted
            .iter()
            .find(|c| c.currency == "JPY")
            .unwrap()
            .base_minor,
        6_156
    );
    assert_eq!(
        t.converted[0].rate, None,
        "EUR in a EUR total needs no rate"
    );
    assert_eq!(t.total_minor, 50_000 + 92_166 + 6_156);

    // USD base, crossing through the euro: GBP 100.00 / 0.84210 × 1.0850 = 128.84 USD.
    let t = convert(&s, "USD", &[("GBP", 10_000), ("EUR", 10_000)], day(20));
    let gbp = &t.converted[0];
    assert_eq!(gbp.base_minor, 12_884);
    assert_eq!(gbp.rate.as_ref().unwrap().rate, dec("1.288446"));
    assert_eq!(t.converted[1].base_minor, 10_850);
    assert_eq!(t.source, RateSource::Ecb);

    // CAD base uses the Bank of Canada: EUR 100.00 × 1.4721; GBP through CAD to USD base is
    // not needed: CAD is the anchor itself.
    let t = convert(
        &s,
        "CAD",
        &[("EUR", 10_000), ("USD", 10_000), ("CAD", 1)],
        day(20),
    );
    assert_eq!(t.source, RateSource::BankOfCanada);
    let figures: Vec<_> = t
        .converted
        .iter()
        .map(|c| (c.currency.as_str(), c.base_minor))
        .collect();
    assert_eq!(figures, [("EUR", 14_721), ("USD", 13_567), ("CAD", 1)]);
    assert_eq!(t.oldest_rate_date, Some(day(19)));
}

#[test]
fn a_currency_without_a_rate_is_left_out_and_the_total_says_so() {
    let s = cached();
    let t = convert(
        &s,
        "EUR",
        &[("EUR", 10_000), ("SEK", 99_900), ("USD", 10_850)],
        day(20),
    );
    assert!(t.partial);
    assert_eq!(
        t.left_out,
        [LeftOut {
            currency: "SEK".into(),
            amount_minor: 99_900,
            reason: LeftOutReason::NoRate
        }]
    );
    assert_eq!(t.total_minor, 10_000 + 10_000);
    // Nothing cached before the first publication date: no guess from a later rate.
    let t = convert(&s, "EUR", &[("USD", 100)], day(16));
    assert_eq!(t.left_out[0].reason, LeftOutReason::NoRate);
    assert_eq!(t.total_minor, 0);
    // A base the source does not publish leaves every other currency out.
    let t = convert(&s, "SEK", &[("USD", 100), ("SEK", 5)], day(20));
    assert_eq!(t.left_out[0].reason, LeftOutReason::NoBaseRate);
    assert_eq!((t.total_minor, t.partial), (5, true));
}

#[test]
fn a_stale_rate_is_not_used_but_a_recent_one_from_an_earlier_day_is() {
    let s = cached();
    // Thirteen days after the last publication: too old to use.
    let t = convert(
        &s,
        "EUR",
        &[("USD", 100_000)],
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
    );
    assert_eq!(
        t.left_out[0].reason,
        LeftOutReason::Stale { latest: day(19) }
    );
    assert!(t.partial && t.converted.is_empty());
    // JPY has no Bank of Canada value on the 19th: the 18th's is used, and its date shown.
    let t = convert(&s, "CAD", &[("JPY", 100_000)], day(20));
    let r = t.converted[0].rate.as_ref().unwrap();
    assert_eq!(r.date, day(18));
    assert_eq!(t.converted[0].base_minor, 90_420);
    // A valuation date before the 19th uses the rates of that time.
    let t = convert(&s, "EUR", &[("USD", 108_220)], day(18));
    assert_eq!(t.converted[0].base_minor, 100_000);
}

#[test]
fn rates_are_cached_once_per_day_and_source() {
    let s = cached();
    let again = ecb::parse(ECB_DAILY).unwrap();
    record_fetched(&s, RateSource::Ecb, &again, crate::time::now()).unwrap();
    let n: i64 = s
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM reference_rates WHERE source = 'ecb'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    // 90-day file: USD, CAD × 3 days; daily adds JPY, GBP, CHF, MXN on the 19th.
    assert_eq!(n, 10);
    assert_eq!(
        newest_rate_date(&s, RateSource::Ecb).unwrap(),
        Some(day(19))
    );
}

#[test]
fn the_base_currency_defaults_to_euro_and_is_validated_and_audited() {
    let s = Store::open_in_memory().unwrap();
    assert_eq!(base_currency(&s).unwrap(), cur("EUR"));
    assert_eq!(set_base_currency(&s, " cad ", "test").unwrap(), cur("CAD"));
    assert_eq!(base_currency(&s).unwrap(), cur("CAD"));
    let err = set_base_currency(&s, "dollars", "test").unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
    assert_eq!(base_currency(&s).unwrap(), cur("CAD"));
    let log = s.audit_log(5).unwrap();
    assert_eq!(
        (log[0].action.as_str(), log[0].detail.as_str()),
        ("settings.base_currency", "CAD")
    );
}
