//! The end of an update, in the advisor's terms: how many connections were updated, and
//! which need whom (the client: SCA, a new password, an MFA answer; the advisor: keys,
//! configuration) — client name and institution, never an account number or a secret.

use std::collections::HashMap;

use serde::Serialize;

use super::engine::{ConnectionOutcome, SyncResult, SyncSummary};
use crate::domain::{Actor, ConnectionStatus};
use crate::error::Result;
use crate::reads::client::institution_label;
use crate::store::Store;
use crate::{clients, sync};

/// One connection that needs someone after the update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct NeedsAction {
    pub connection_id: i64,
    pub client_id: i64,
    pub client_name: String,
    pub institution: String,
    pub status: ConnectionStatus,
    /// It did not need anyone before this update.
    pub newly: bool,
}

/// What an update ended with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct RunReport {
    pub total: usize,
    pub updated: usize,
    /// Failed for a reason nobody has to act on yet (the provider is busy, a timeout):
    /// retried later by itself.
    pub retrying: usize,
    pub cancelled: usize,
    pub needs_client: Vec<NeedsAction>,
    pub needs_advisor: Vec<NeedsAction>,
}

impl RunReport {
    /// The connections that needed nobody before this update and need someone now.
    pub fn newly_needing(&self) -> impl Iterator<Item = &NeedsAction> {
        self.needs_client
            .iter()
            .chain(&self.needs_advisor)
            .filter(|n| n.newly)
    }
}

/// The report of `summary`, with client names and institutions read from the store.
pub fn run_report(store: &Store, summary: &SyncSummary) -> Result<RunReport> {
    let names: HashMap<i64, String> = clients::list(store, true)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let institutions: HashMap<i64, String> = sync::connections::list(store, None)?
        .iter()
        .map(|c| (c.id, institution_label(c)))
        .collect();
    Ok(report_of(summary, &names, &institutions))
}

/// [`run_report`] over names already read (pure: the tests call it directly).
pub fn report_of(
    summary: &SyncSummary,
    client_names: &HashMap<i64, String>,
    institutions: &HashMap<i64, String>,
) -> RunReport {
    let mut report = RunReport {
        total: summary.total,
        ..Default::default()
    };
    let needs = |o: &ConnectionOutcome| NeedsAction {
        connection_id: o.connection_id,
        client_id: o.client_id,
        client_name: client_names.get(&o.client_id).cloned().unwrap_or_default(),
        institution: institutions
            .get(&o.connection_id)
            .cloned()
            .unwrap_or_else(|| o.provider.as_str().to_string()),
        status: o.status,
        newly: o.previous_status.action_by() == Actor::Nobody,
    };
    for o in &summary.outcomes {
        match (&o.result, o.status.action_by()) {
            (SyncResult::Cancelled, _) => report.cancelled += 1,
            (_, Actor::Client) => report.needs_client.push(needs(o)),
            (_, Actor::Advisor) => report.needs_advisor.push(needs(o)),
            (SyncResult::Synced { .. }, Actor::Nobody) => report.updated += 1,
            (_, Actor::Nobody) => report.retrying += 1,
        }
    }
    for list in [&mut report.needs_client, &mut report.needs_advisor] {
        list.sort_by(|a, b| {
            (a.client_name.to_lowercase(), &a.institution)
                .cmp(&(b.client_name.to_lowercase(), &b.institution))
        });
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FailureKind, Provider, ProviderFailure};
    use crate::sync::WriteStats;

    fn outcome(
        id: i64,
        client: i64,
        before: ConnectionStatus,
        after: ConnectionStatus,
        result: SyncResult,
    ) -> ConnectionOutcome {
        ConnectionOutcome {
            connection_id: id,
            client_id: client,
            provider: Provider::Flanks,
            status: after,
            previous_status: before,
            result,
        }
    }

    fn synced() -> SyncResult {
        SyncResult::Synced {
            stats: WriteStats::default(),
        }
    }

    fn failed(kind: FailureKind) -> SyncResult {
        SyncResult::Failed {
            failure: ProviderFailure::new(kind),
        }
    }

    #[test]
    fn the_end_says_what_needs_whom() {
        use ConnectionStatus::*;
        let summary = SyncSummary {
            total: 6,
            outcomes: vec![
                outcome(1, 10, Ready, Ready, synced()),
                outcome(2, 11, Ready, PendingSca, failed(FailureKind::ScaRequired)),
                outcome(
                    3,
                    10,
                    PendingSca,
                    PendingSca,
                    failed(FailureKind::ScaRequired),
                ),
                outcome(
                    4,
                    12,
                    Ready,
                    NeedsAdvisor,
                    failed(FailureKind::Unauthorized),
                ),
                outcome(5, 12, Ready, RetryLater, failed(FailureKind::Timeout)),
                outcome(6, 11, Ready, Ready, SyncResult::Cancelled),
            ],
            ..Default::default()
        };
        let names = HashMap::from([
            (10, "Zoe Martín".to_string()),
            (11, "ana Ruiz".to_string()),
            (12, "Luc Tremblay".to_string()),
        ]);
        let banks = HashMap::from([
            (2, "Banco X".to_string()),
            (3, "Banco Y".to_string()),
            (4, "RBC".to_string()),
        ]);
        let r = report_of(&summary, &names, &banks);
        assert_eq!((r.total, r.updated, r.retrying, r.cancelled), (6, 1, 1, 1));
        let who: Vec<(&str, &str, bool)> = r
            .needs_client
            .iter()
            .map(|n| (n.client_name.as_str(), n.institution.as_str(), n.newly))
            .collect();
        // Sorted by client name, case-insensitively.
        assert_eq!(
            who,
            vec![
                ("ana Ruiz", "Banco X", true),
                ("Zoe Martín", "Banco Y", false)
            ]
        );
        assert_eq!(r.needs_advisor.len(), 1);
        assert_eq!(r.needs_advisor[0].institution, "RBC");
        let newly: Vec<i64> = r.newly_needing().map(|n| n.connection_id).collect();
        assert_eq!(newly, vec![2, 4]);
    }

    #[test]
    fn an_unknown_institution_is_named_by_its_provider() {
        let summary = SyncSummary {
            total: 1,
            outcomes: vec![outcome(
                9,
                1,
                ConnectionStatus::Ready,
                ConnectionStatus::Blocked,
                failed(FailureKind::Blocked),
            )],
            ..Default::default()
        };
        let r = report_of(&summary, &HashMap::new(), &HashMap::new());
        assert_eq!(r.needs_client[0].institution, "flanks");
    }
}
