//! A connection as every read model shows it ([`ConnectionView`]): the stored row, whether its
//! data is stale or frozen, its consent forecast, and the newest link sent to its client. The
//! book's rules (freshness, the SCA period) and the sent links are read once per read model, so
//! the client page, the health queue and the connections panel show the same computation.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::Serialize;

use super::book::{connection_health, Health};
use super::consent::{consent_period_from, forecast, ConsentForecast, ConsentPeriod};
use crate::error::Result;
use crate::links::sessions::LinkSession;
use crate::store::book_reads::BookReads;
use crate::store::Store;
use crate::sync::{Connection, ConnectionView, Freshness};
use crate::time::{self, Timestamp};

/// A link sent to the client for a connection ("Send link"), as long as the connection still
/// needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct SentLink {
    pub session_id: i64,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    /// Its lifetime passed unused: "Link expired — Send again". Sending again makes a new link
    /// session; this one stays refused under the one-time rules.
    pub expired: bool,
}

impl SentLink {
    /// Waiting (open, unexpired) or expired (ended `expired`, or past its expiry and not yet
    /// ended by the poller); `None` once it ended any other way.
    fn of(s: &LinkSession, now: Timestamp) -> Option<SentLink> {
        let sent_at = time::from_db(&s.created_at)?;
        let expires_at = time::from_db(&s.expires_at)?;
        let expired = match s.outcome.as_deref() {
            None => expires_at <= now,
            Some("expired") => true,
            Some(_) => return None,
        };
        Some(SentLink {
            session_id: s.id,
            sent_at,
            expires_at,
            expired,
        })
    }
}

/// What a connection's view is derived from, read once.
#[derive(Debug, Clone)]
pub struct Outlook {
    pub now: Timestamp,
    pub fresh: Freshness,
    pub period: ConsentPeriod,
    sent: BTreeMap<i64, SentLink>,
}

impl Outlook {
    pub fn of(store: &Store, now: Timestamp) -> Result<Outlook> {
        store.read(|db| Self::read_from(db, now))
    }

    /// [`Outlook::of`] from either engine's reader.
    pub fn read_from(reads: &impl BookReads, now: Timestamp) -> Result<Outlook> {
        let sent = reads.newest_sent_links()?;
        Ok(Outlook::of_rows(
            now,
            &sent,
            Freshness::read_from(reads)?,
            consent_period_from(reads)?,
        ))
    }

    /// From what [`Outlook::read_from`] reads: the newest link sent for each connection (at
    /// least those of the connections it will view), and the book's rules.
    pub fn of_rows(
        now: Timestamp,
        newest_sent: &[LinkSession],
        fresh: Freshness,
        period: ConsentPeriod,
    ) -> Outlook {
        let sent = newest_sent
            .iter()
            .filter_map(|s| Some((s.connection_id?, SentLink::of(s, now)?)))
            .collect();
        Outlook {
            now,
            fresh,
            period,
            sent,
        }
    }

    /// Whether only the client can move this connection: the bank asks for them, or (Flinks)
    /// the data stays frozen until they are present.
    pub fn needs_client(&self, c: &Connection) -> bool {
        c.is_frozen(self.now, self.fresh) || connection_health(c) == Health::NeedsClient
    }

    /// The connection's consent forecast, except a date still to come while the bank is asking
    /// already (it asked early): "next SCA in 90 days" beside "the bank asks the client to
    /// confirm" would contradict it. "Overdue since …" stays (it says when the consent lapsed),
    /// and so does a Flinks connection's "last live connection N days ago".
    fn forecast(&self, c: &Connection) -> Option<ConsentForecast> {
        let f = forecast(c, self.period, self.now, &Utc);
        let asked_early =
            f.days_left.is_some_and(|d| d > 0) && connection_health(c) == Health::NeedsClient;
        (!asked_early).then_some(f)
    }

    pub fn view(&self, c: Connection) -> ConnectionView {
        let sent_link = if self.needs_client(&c) {
            self.sent.get(&c.id).cloned()
        } else {
            None
        };
        ConnectionView {
            stale: c.is_stale(self.now, self.fresh),
            frozen: c.is_frozen(self.now, self.fresh),
            consent: self.forecast(&c),
            sent_link,
            connection: c,
        }
    }
}
