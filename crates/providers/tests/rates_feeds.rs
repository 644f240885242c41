//! The rate fetcher against the embedded sandbox's ECB and Bank of Canada feeds (real HTTP,
//! a real SQLite file): both feeds fetched, parsed and cached with their dates, fetched at
//! most once a day, a failed fetch recorded without losing the cached rates, and totals
//! converted from the cache with the rate date shown.

use advisor_desk_core::money::Currency;
use advisor_desk_core::rates::{self, convert_totals, RateSource};
use advisor_desk_core::Store;
use advisor_desk_providers::rates::{RateFeeds, RefreshOutcome};
use advisor_desk_sandbox::Sandbox;
use chrono::{Datelike, Duration, Utc, Weekday};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_feeds_are_fetched_once_a_day_from_the_sandbox_and_converted_with_their_date() {
    let sandbox = Sandbox::start(Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    let feeds = RateFeeds::sandbox(&sandbox.base_url()).unwrap();
    assert!(feeds
        .url(RateSource::Ecb)
        .ends_with("/ecb/stats/eurofxref/eurofxref-hist-90d.xml"));
    let now = Utc::now();

    let first = feeds.refresh_due(&store, now).await;
    for (source, outcome) in &first {
        match outcome {
            RefreshOutcome::Fetched { rates } => assert!(*rates > 7, "{source:?}: {rates}"),
            other => panic!("{source:?}: {other:?}"),
        }
    }
    // The last working day is the newest date of both feeds.
    let mut last_working = now.date_naive();
    while matches!(last_working.weekday(), Weekday::Sat | Weekday::Sun) {
        last_working -= Duration::days(1);
    }
    for source in [RateSource::Ecb, RateSource::BankOfCanada] {
        let newest = rates::newest_rate_date(&store, source).unwrap();
        assert_eq!(newest, Some(last_working), "{source:?}");
    }

    // Not again the same day; again a day later.
    let second = feeds.refresh_due(&store, now + Duration::hours(23)).await;
    assert!(
        second.iter().all(|(_, o)| *o == RefreshOutcome::NotDue),
        "{second:?}"
    );
    let later = feeds
        .refresh(&store, RateSource::Ecb, now + Duration::hours(25))
        .await
        .unwrap();
    assert!(matches!(later, RefreshOutcome::Fetched { .. }), "{later:?}");

    // EUR base through the ECB, CAD base through the Bank of Canada: both dated.
    let amounts = vec![("CAD".to_string(), 100_000), ("EUR".to_string(), 50_000)];
    for (base, source) in [("EUR", RateSource::Ecb), ("CAD", RateSource::BankOfCanada)] {
        let t = store
            .read(|c| {
                convert_totals(
                    c,
                    Currency::parse(base).unwrap(),
                    &amounts,
                    now.date_naive(),
                )
            })
            .unwrap();
        assert!(!t.partial, "{t:?}");
        let converted = t.converted.iter().find(|c| c.currency != base).unwrap();
        let rate = converted.rate.as_ref().unwrap();
        assert_eq!((rate.source, rate.date), (source, last_working));
        // The sandbox's market has EUR ≈ 1.47 CAD.
        let eur_in_cad = if base == "EUR" {
            100_000.0 / converted.base_minor as f64
        } else {
            converted.base_minor as f64 / 50_000.0
        };
        assert!((eur_in_cad - 1.472).abs() < 0.02, "{base}: {eur_in_cad}");
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fetch_is_recorded_retried_an_hour_later_and_keeps_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    // Nothing listens on port 9 of the loopback.
    let feeds = RateFeeds::sandbox("http://127.0.0.1:9").unwrap();
    let now = Utc::now();
    let outcome = feeds.refresh(&store, RateSource::Ecb, now).await.unwrap();
    let RefreshOutcome::Failed { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("ECB"), "{reason}");
    let record = rates::last_fetch(&store, RateSource::Ecb).unwrap().unwrap();
    assert_eq!(record.last_success_at, None);
    assert_eq!(
        feeds
            .refresh(&store, RateSource::Ecb, now + Duration::minutes(30))
            .await
            .unwrap(),
        RefreshOutcome::NotDue
    );
    let again = feeds
        .refresh(&store, RateSource::Ecb, now + Duration::minutes(61))
        .await
        .unwrap();
    assert!(matches!(again, RefreshOutcome::Failed { .. }));
    // No rate was ever cached: a total in EUR of a CAD amount is partial, not guessed.
    let t = store
        .read(|c| {
            convert_totals(
                c,
                Currency::parse("EUR").unwrap(),
                &[("CAD".into(), 1)],
                now.date_naive(),
            )
        })
        .unwrap();
    assert!(t.partial && t.total_minor == 0);
}
