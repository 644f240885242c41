//! The read commands that used to refuse in firm mode, on a real firm database (a throw-away
//! PostgreSQL server) joined through a real invite: the CSV exports, the base-currency total,
//! the review report and the audit log answer from the firm's book, with this desktop's own
//! rates, base currency and report settings, and never from the solo book.

use std::sync::Arc;
use std::time::Duration;

use advisor_desk_core::clients::NewClient;
use advisor_desk_core::firm::{write_invite, FirmKey};
use advisor_desk_core::rates::{record_fetched, RateSource, ReferenceRate, Subject};
use advisor_desk_core::reads::export::ExportKind;
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::{time, Store};
use advisor_desk_firm::members::MemberKind;
use advisor_desk_firm::test_firm::TestFirm;
use advisor_desk_report::ReportProfile;

use super::{export_csv_in, suggest_export_path_in};
use crate::commands::households::{
    add_household_member_in, base_total_in, create_household_in, report_profile_in, save_report_in,
    set_base_currency_in, set_report_profile_in,
};
use crate::commands::settings::audit_log_in;
use crate::commands::{add_client_in, firm::join_firm_in};
use crate::state::AppState;

const PASSPHRASE: &str = "a long enough passphrase";

/// A desktop (its own data folder and keychain) joined to `firm` as a new advisor, connected.
fn joined_desktop(firm: &TestFirm, folder: &std::path::Path) -> AppState {
    let store = Store::open(&folder.join("book.sqlite3")).unwrap();
    let app = AppState::with_secrets(store, folder, Arc::new(MemorySecretStore::new()));
    let member = firm.add_member("ana_reads", MemberKind::Advisor);
    let invite = firm.invite_for(&member, "Ruiz & Partners", FirmKey::generate(1).unwrap());
    let path = folder.join("ana.invite");
    write_invite(&path, &invite, PASSPHRASE).unwrap();
    join_firm_in(&app, path.to_str().unwrap(), PASSPHRASE, |_| {}).unwrap();
    for _ in 0..200 {
        if matches!(app.firm.store(), Ok(Some(_))) {
            return app;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the firm session did not connect");
}

/// On a runtime's worker, as the commands run: the firm's synchronous client (and the test's
/// own) runs its own small runtime, so the worker is lent out first, as `join_firm` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_totals_reports_and_the_audit_log_answer_from_the_firm_s_book() {
    tokio::task::block_in_place(firm_reads);
}

fn firm_reads() {
    let firm = TestFirm::migrated();
    let folder = tempfile::tempdir().unwrap();
    let app = joined_desktop(&firm, folder.path());
    // A solo client that must never show in firm mode.
    let solo = app.store().unwrap();
    let hidden = NewClient {
        name: "Solo Only".into(),
        ..Default::default()
    };
    advisor_desk_core::clients::add(solo, &hidden, "test").unwrap();

    let new = NewClient {
        name: "Lucía Firm".into(),
        ..Default::default()
    };
    let lucia = add_client_in(&app, &new).unwrap().id;
    let household = create_household_in(&app, "Firm household").unwrap().id;
    add_household_member_in(&app, household, lucia).unwrap();
    // Her one connection and a USD account, as a refresh would have left them.
    firm.owner()
        .batch_execute(&format!(
            "INSERT INTO connections (client_id, provider, flow, institution_name, status,
                 token_hash, last_success_at, data_as_of, created_at, updated_at)
             VALUES ({lucia}, 'flinks', 'flinks_connect', 'Caisse Deux', 'ready', 'h-1',
                 now(), now(), now(), now());
             INSERT INTO accounts (connection_id, provider_id, dedupe_key, kind, name,
                 currency, balance_minor, as_of)
             SELECT id, 'usd', 'k-usd', 'savings', 'Savings', 'USD', 250000, now()
             FROM connections WHERE client_id = {lucia};"
        ))
        .unwrap();

    // The book export is the firm's book; the client's and the household's exports too.
    let book_csv = suggest_export_path_in(&app, ExportKind::Book, None, None).unwrap();
    let written = export_csv_in(&app, ExportKind::Book, None, None, &book_csv).unwrap();
    let text = std::fs::read_to_string(&written.path).unwrap();
    assert!(text.contains("Lucía Firm,USD,2500.00"), "{text}");
    assert!(!text.contains("Solo Only"), "never the solo book: {text}");
    let holdings = suggest_export_path_in(&app, ExportKind::Holdings, None, Some(household));
    let holdings = holdings.unwrap();
    assert!(holdings.contains("firm-household-holdings"), "{holdings}");
    let of_household =
        export_csv_in(&app, ExportKind::Holdings, None, Some(household), &holdings).unwrap();
    assert_eq!(of_household.rows, 0);
    let txns = suggest_export_path_in(&app, ExportKind::Transactions, Some(lucia), None).unwrap();
    assert_eq!(
        export_csv_in(&app, ExportKind::Transactions, Some(lucia), None, &txns)
            .unwrap()
            .rows,
        0
    );
    let nobody = export_csv_in(
        &app,
        ExportKind::Transactions,
        Some(lucia + 99),
        None,
        &txns.replace(".csv", "-nobody.csv"),
    );
    assert_eq!(nobody.unwrap_err().0.code, "not_found");

    // The total: the firm's figures, this desktop's base currency and cached rates.
    set_base_currency_in(&app, "EUR").unwrap();
    let partial = base_total_in(&app, Subject::Client(lucia)).unwrap();
    assert!(partial.partial && partial.left_out[0].currency == "USD");
    let now = time::now();
    let usd = ReferenceRate {
        source: RateSource::Ecb,
        date: now.date_naive(),
        currency: "USD".into(),
        rate: "1.25".parse().unwrap(),
    };
    record_fetched(solo, RateSource::Ecb, &[usd], now).unwrap();
    let total = base_total_in(&app, Subject::Household(household)).unwrap();
    assert_eq!((total.partial, total.total_minor), (false, 200_000));

    // The report: signed with the firm's name; the advisor's name stays this desktop's.
    let profile = ReportProfile {
        advisor_name: Some("Ana Ruiz".into()),
        firm: Some("Typed Locally".into()),
        paper: advisor_desk_report::Paper::A4,
        base_currency: "EUR".into(),
    };
    let shown = set_report_profile_in(&app, &profile).unwrap();
    assert_eq!(shown.firm.as_deref(), Some("Ruiz & Partners"));
    assert_eq!(shown.advisor_name.as_deref(), Some("Ana Ruiz"));
    assert_eq!(report_profile_in(&app).unwrap(), shown);
    let local = advisor_desk_report::settings::load_profile(solo).unwrap();
    assert_eq!(
        local.firm, None,
        "the firm's name is not saved as a local setting"
    );
    let report = save_report_in(&app, Subject::Client(lucia)).unwrap();
    assert!(report.path.contains("lucía-firm-report"), "{}", report.path);
    assert!(std::fs::read(&report.path).unwrap().starts_with(b"%PDF-"));
    let missing = save_report_in(&app, Subject::Household(household + 99));
    assert_eq!(missing.unwrap_err().0.code, "not_found");

    // The audit log is the firm's, each entry with the role that wrote it.
    let audit = audit_log_in(&app).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.client_id == Some(lucia) && e.actor.contains("ana_reads")),
        "{audit:?}"
    );
    assert!(
        audit.iter().all(|e| !e.action.starts_with("settings.")),
        "this desktop's own settings changes stay in its own log: {audit:?}"
    );
}
