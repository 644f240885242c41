//! Rounds, claims, leases and fenced completions: the statements, one function each.
//!
//! Every time is the database server's (`now()`), so desktops whose clocks disagree still agree
//! on when a lease expires.

use std::time::{Duration, SystemTime};

use postgres::{Client, Transaction};
use serde_json::Value;

use super::RefreshError;

/// Whether `start_round` opened a new round or joined the one already open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundStart {
    Started(i64),
    Joined(i64),
}

impl RoundStart {
    pub fn round_id(self) -> i64 {
        match self {
            RoundStart::Started(id) | RoundStart::Joined(id) => id,
        }
    }
}

/// A claim on one connection for one round, valid until `expires_at` unless renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub round_id: i64,
    pub connection_id: i64,
    /// The connection's lease generation at this claim: the fencing token.
    pub token: i64,
    pub expires_at: SystemTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Refreshed,
    Failed,
}

impl OutcomeKind {
    fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Refreshed => "refreshed",
            OutcomeKind::Failed => "failed",
        }
    }
}

/// What one connection's refresh gave. `detail` holds non-secret facts only (counts, a failure
/// code): it is readable by every desktop of the firm.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub detail: Value,
}

/// The result of a fenced completion.
#[derive(Debug, PartialEq)]
pub enum Completion<T> {
    /// The snapshot and the outcome were written, in one transaction.
    Recorded(T),
    /// This very claim had already been recorded (a retry after a commit whose answer was lost):
    /// nothing was written again.
    AlreadyRecorded,
}

/// How far a round has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundProgress {
    pub due: i64,
    pub completed: i64,
    /// Connections under a lease that has not expired.
    pub leased: i64,
    pub finished: bool,
}

/// Opens a round over `due` (connection ids; duplicates ignored), or joins the round already
/// open and adds `due` to it: at most one round is open at a time, so desktops starting one at
/// once share it. Under row-level security a desktop names only connections its role sees
/// (another's are refused: `42501`), so each desktop brings its own and an admin's brings all.
pub fn start_round(
    client: &mut Client,
    desktop: &str,
    due: &[i64],
) -> Result<RoundStart, RefreshError> {
    if let Some(&bad) = due.iter().find(|&&id| id <= 0) {
        return Err(RefreshError::InvalidConnectionId(bad));
    }
    let mut due = due.to_vec();
    due.sort_unstable();
    due.dedup();
    // A round that closes between our insert and our look-up is gone; try again.
    for _ in 0..3 {
        let mut tx = client.transaction()?;
        let started = tx.query_opt(
            "insert into refresh_rounds (started_by, finished_at)
             values ($1, case when cardinality($2::bigint[]) = 0 then now() end)
             on conflict do nothing
             returning id",
            &[&desktop, &due],
        )?;
        let round = match started {
            Some(row) => RoundStart::Started(row.get(0)),
            None => match tx.query_opt(
                "select id from refresh_rounds where finished_at is null",
                &[],
            )? {
                Some(row) => RoundStart::Joined(row.get(0)),
                None => continue,
            },
        };
        // Due in this round: a connection already in it keeps its lease and state.
        tx.execute(
            "insert into refresh_leases (connection_id, round_id)
             select unnest($2::bigint[]), $1
             on conflict (connection_id) do update
             set round_id = excluded.round_id, holder = null, expires_at = null,
                 completed_at = null
             where refresh_leases.round_id <> excluded.round_id",
            &[&round.round_id(), &due],
        )?;
        tx.commit()?;
        return Ok(round);
    }
    Err(RefreshError::Unreachable(
        "refresh rounds kept opening and closing under us".into(),
    ))
}

/// The round now open, if any.
pub fn open_round(client: &mut Client) -> Result<Option<i64>, RefreshError> {
    let row = client.query_opt(
        "select id from refresh_rounds where finished_at is null",
        &[],
    )?;
    Ok(row.map(|r| r.get(0)))
}

/// Claims up to `limit` connections of `round_id` that nobody holds (never claimed, or whose
/// lease expired), each for `lease`. Desktops claiming at once get disjoint sets: rows another
/// desktop is claiming are skipped, and a row claimed meanwhile is re-checked and left.
pub fn claim(
    client: &mut Client,
    round_id: i64,
    desktop: &str,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Lease>, RefreshError> {
    let seconds = lease_seconds(lease)?;
    let rows = client.query(
        "update refresh_leases l
         set token = l.token + 1, holder = $2,
             expires_at = now() + make_interval(secs => $4)
         from (select connection_id from refresh_leases
               where round_id = $1 and completed_at is null
                 and (expires_at is null or expires_at < now())
               order by connection_id
               limit $3
               for update skip locked) free
         where l.connection_id = free.connection_id
         returning l.connection_id, l.token, l.expires_at",
        &[&round_id, &desktop, &limit.max(0), &seconds],
    )?;
    Ok(rows
        .iter()
        .map(|row| Lease {
            round_id,
            connection_id: row.get(0),
            token: row.get(1),
            expires_at: row.get(2),
        })
        .collect())
}

/// Extends the leases still held (same token, not completed) by `lease` from now; returns those.
/// A lease missing from the answer was lost: its connection must not be fetched.
pub fn renew(
    client: &mut Client,
    leases: &[Lease],
    lease: Duration,
) -> Result<Vec<Lease>, RefreshError> {
    let seconds = lease_seconds(lease)?;
    let ids: Vec<i64> = leases.iter().map(|l| l.connection_id).collect();
    let tokens: Vec<i64> = leases.iter().map(|l| l.token).collect();
    let rows = client.query(
        "update refresh_leases l
         set expires_at = now() + make_interval(secs => $3)
         from unnest($1::bigint[], $2::bigint[]) as held (connection_id, token)
         where l.connection_id = held.connection_id and l.token = held.token
           and l.completed_at is null
         returning l.connection_id, l.expires_at",
        &[&ids, &tokens, &seconds],
    )?;
    let renewed = rows
        .iter()
        .filter_map(|row| {
            let id: i64 = row.get(0);
            let held = leases.iter().find(|l| l.connection_id == id)?;
            Some(Lease {
                expires_at: row.get(1),
                ..held.clone()
            })
        })
        .collect();
    Ok(renewed)
}

/// Gives back leases still held (same token, not completed) without completing them: the
/// connections stay due in the round and may be claimed at once by any desktop.
pub fn release(client: &mut Client, leases: &[Lease]) -> Result<(), RefreshError> {
    let ids: Vec<i64> = leases.iter().map(|l| l.connection_id).collect();
    let tokens: Vec<i64> = leases.iter().map(|l| l.token).collect();
    client.execute(
        "update refresh_leases l
         set holder = null, expires_at = null
         from unnest($1::bigint[], $2::bigint[]) as held (connection_id, token)
         where l.connection_id = held.connection_id and l.token = held.token
           and l.completed_at is null",
        &[&ids, &tokens],
    )?;
    Ok(())
}

/// Completes a claim: checks the lease is still this claim's (fencing), runs `write` (the
/// connection's snapshot) in the same transaction, records the outcome, marks the connection
/// done for the round, and closes the round when it was the last one. A lease taken by another
/// desktop is refused with [`RefreshError::LeaseLost`] before anything is written.
pub fn complete<T>(
    client: &mut Client,
    lease: &Lease,
    desktop: &str,
    outcome: &Outcome,
    write: impl FnOnce(&mut Transaction<'_>) -> Result<T, RefreshError>,
) -> Result<Completion<T>, RefreshError> {
    let mut tx = client.transaction()?;
    // The row lock keeps a claimer off this row until we commit (it skips locked rows).
    let held = tx.query_opt(
        "select 1 from refresh_leases
         where connection_id = $1 and round_id = $2 and token = $3 and completed_at is null
         for update",
        &[&lease.connection_id, &lease.round_id, &lease.token],
    )?;
    if held.is_none() {
        let recorded = tx.query_opt(
            "select 1 from refresh_outcomes
             where round_id = $1 and connection_id = $2 and lease_token = $3",
            &[&lease.round_id, &lease.connection_id, &lease.token],
        )?;
        return match recorded {
            Some(_) => Ok(Completion::AlreadyRecorded),
            None => Err(RefreshError::LeaseLost {
                round_id: lease.round_id,
                connection_id: lease.connection_id,
            }),
        };
    }
    let written = write(&mut tx)?;
    tx.execute(
        "insert into refresh_outcomes
             (round_id, connection_id, desktop, lease_token, outcome, detail)
         values ($1, $2, $3, $4, $5, $6)",
        &[
            &lease.round_id,
            &lease.connection_id,
            &desktop,
            &lease.token,
            &outcome.kind.as_str(),
            &outcome.detail,
        ],
    )?;
    tx.execute(
        "update refresh_leases set completed_at = now(), expires_at = null
         where connection_id = $1",
        &[&lease.connection_id],
    )?;
    close_if_complete_in(&mut tx, lease.round_id)?;
    tx.commit()?;
    Ok(Completion::Recorded(written))
}

/// Closes the round if no connection of it is left to complete (a round whose last connection
/// was deleted mid-round is closed by the next desktop that finds nothing to claim).
pub fn close_if_complete(client: &mut Client, round_id: i64) -> Result<bool, RefreshError> {
    let mut tx = client.transaction()?;
    let closed = close_if_complete_in(&mut tx, round_id)?;
    tx.commit()?;
    Ok(closed)
}

fn close_if_complete_in(tx: &mut Transaction<'_>, round_id: i64) -> Result<bool, RefreshError> {
    // As the schema's owner (migration 0003): the round is complete only when every lease of
    // it is, including those this desktop's role may not see; it takes the round's lock.
    let closed: Option<bool> = tx
        .query_one("select firm_close_refresh_round($1)", &[&round_id])?
        .get(0);
    closed.ok_or(RefreshError::UnknownRound(round_id))
}

/// Due, completed and leased counts of a round as far as the caller's role sees it (an
/// advisor's desktop counts its clients' connections), and whether it is finished.
pub fn progress(client: &mut Client, round_id: i64) -> Result<RoundProgress, RefreshError> {
    let row = client
        .query_opt(
            "select (select count(*) from refresh_outcomes o where o.round_id = r.id)
                      + (select count(*) from refresh_leases l
                         where l.round_id = r.id and l.completed_at is null),
                    (select count(*) from refresh_outcomes o where o.round_id = r.id),
                    (select count(*) from refresh_leases l
                     where l.round_id = r.id and l.completed_at is null
                       and l.expires_at >= now()),
                    r.finished_at is not null
             from refresh_rounds r where r.id = $1",
            &[&round_id],
        )?
        .ok_or(RefreshError::UnknownRound(round_id))?;
    Ok(RoundProgress {
        due: row.get(0),
        completed: row.get(1),
        leased: row.get(2),
        finished: row.get(3),
    })
}

fn lease_seconds(lease: Duration) -> Result<f64, RefreshError> {
    if lease < Duration::from_secs(1) || lease > Duration::from_secs(3600) {
        return Err(RefreshError::InvalidLeaseDuration(lease));
    }
    Ok(lease.as_secs_f64())
}
