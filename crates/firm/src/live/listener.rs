//! The listening thread: its own database connection (a pooled one would be handed to other
//! queries and lose the LISTEN), reconnecting after a loss and then asking for a resync.
//!
//! A notice carries only the number of a `live_changes` row (migration 0004); the listener reads
//! the rows named by the notices pending at once, on its own connection and so through its
//! role's row-level security: a change the desktop may not see is not read, and no event names
//! it. What a desktop then does with a change is re-read the named row through the same
//! policies (a row no longer visible, such as a client unshared from it, reads as nothing).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Notification};

use super::event::{decode, Change, LiveEvent, Operation, ResyncReason};
use super::CHANNEL;
use crate::{FirmDbConfig, FirmDbError};

#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// How long one wait for a notice lasts before the stop flag is looked at again.
    pub tick: Duration,
    /// How often a quiet connection is checked (a silent network loss shows no error by itself).
    pub check_every: Duration,
    /// Pauses between reconnection attempts: doubling from the first to the second.
    pub reconnect_first: Duration,
    pub reconnect_max: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            tick: Duration::from_millis(200),
            check_every: Duration::from_secs(10),
            reconnect_first: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }
}

/// Listens until stopped or dropped. Events go to the callback, on the listener's thread.
pub struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Starts listening on the firm database `database` describes, through one connection of
    /// its own with the pool's address, TLS and password (`FirmDbConfig::connect_one`).
    pub fn for_firm<E>(
        config: ListenerConfig,
        database: FirmDbConfig,
        on_event: E,
    ) -> std::io::Result<Listener>
    where
        E: FnMut(LiveEvent) + Send + 'static,
    {
        Self::start(config, move || database.connect_one(), on_event)
    }

    /// Starts listening. `connect` opens a new connection; it is called again after every loss.
    /// Fails only when the thread cannot be started.
    pub fn start<C, E>(config: ListenerConfig, connect: C, on_event: E) -> std::io::Result<Listener>
    where
        C: FnMut() -> Result<Client, FirmDbError> + Send + 'static,
        E: FnMut(LiveEvent) + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let run = Run {
            config,
            connect: Box::new(connect),
            on_event: Box::new(on_event),
            stop: stop.clone(),
        };
        let thread = thread::Builder::new()
            .name("firm-live-listener".into())
            .spawn(move || run.run())?;
        Ok(Listener {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops listening and waits for the thread (at most about one tick).
    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

type Connect = Box<dyn FnMut() -> Result<Client, FirmDbError> + Send>;
type OnEvent = Box<dyn FnMut(LiveEvent) + Send>;

struct Run {
    config: ListenerConfig,
    connect: Connect,
    on_event: OnEvent,
    stop: Arc<AtomicBool>,
}

impl Run {
    fn run(mut self) {
        let mut listened_before = false;
        let mut told_disconnected = false;
        let mut pause = self.config.reconnect_first;
        while !self.stopped() {
            match self.connect_and_listen() {
                Ok(mut client) => {
                    (self.on_event)(if listened_before {
                        LiveEvent::ResyncNeeded(ResyncReason::Reconnected)
                    } else {
                        LiveEvent::Listening
                    });
                    listened_before = true;
                    pause = self.config.reconnect_first;
                    let Some(reason) = self.receive(&mut client) else {
                        return; // stopped
                    };
                    (self.on_event)(LiveEvent::Disconnected { reason });
                    told_disconnected = true;
                }
                Err(error) => {
                    // Said once per loss, not at every attempt.
                    if !told_disconnected {
                        (self.on_event)(LiveEvent::Disconnected {
                            reason: error.to_string(),
                        });
                        told_disconnected = true;
                    }
                }
            }
            self.sleep(pause);
            pause = (pause * 2).min(self.config.reconnect_max);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn connect_and_listen(&mut self) -> Result<Client, FirmDbError> {
        let mut client = (self.connect)()?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(client)
    }

    /// Hands notices to the callback until the connection is lost (returns why) or the
    /// listener is stopped (returns `None`).
    fn receive(&mut self, client: &mut Client) -> Option<String> {
        let mut last_check = Instant::now();
        loop {
            if self.stopped() {
                return None;
            }
            let next = client.notifications().timeout_iter(self.config.tick).next();
            match next {
                Ok(Some(notice)) if notice.channel() == CHANNEL => {
                    if let Err(lost) = self.deliver(client, notice) {
                        return Some(lost);
                    }
                }
                Ok(Some(_)) => {}
                Err(error) => return Some(error.to_string()),
                // A timeout, or the connection closed.
                Ok(None) => {
                    if client.is_closed() {
                        return Some("the connection was closed".into());
                    }
                    if last_check.elapsed() >= self.config.check_every {
                        if let Err(error) = client.is_valid(self.config.check_every) {
                            return Some(error.to_string());
                        }
                        last_check = Instant::now();
                    }
                }
            }
        }
    }

    /// Reads and hands over the changes named by `first` and every notice already received
    /// with it (one read for them all). Fails with why the connection was lost.
    fn deliver(&mut self, client: &mut Client, first: Notification) -> Result<(), String> {
        let pending: Vec<Notification> = client
            .notifications()
            .iter()
            .collect()
            .map_err(|error| error.to_string())?;
        let mut numbers = Vec::new();
        let mut unreadable = false;
        for notice in std::iter::once(first).chain(pending) {
            if notice.channel() != CHANNEL {
                continue;
            }
            match decode(notice.payload()) {
                Ok(number) => numbers.push(number),
                Err(error) => {
                    tracing::warn!(%error, "unreadable change notice; resync");
                    unreadable = true;
                }
            }
        }
        for change in read_changes(client, &numbers)? {
            (self.on_event)(LiveEvent::Change(change));
        }
        if unreadable {
            (self.on_event)(LiveEvent::ResyncNeeded(ResyncReason::UnreadableNotice));
        }
        Ok(())
    }

    /// Sleeps `pause`, waking early when stopped.
    fn sleep(&self, pause: Duration) {
        let until = Instant::now() + pause;
        while !self.stopped() && Instant::now() < until {
            thread::sleep(self.config.tick.min(until - Instant::now()));
        }
    }
}

/// The changes numbered `numbers` that this connection's role may see, in order. A failure is
/// the connection's (returned as why it was lost: the reconnection asks for a resync).
fn read_changes(client: &mut Client, numbers: &[i64]) -> Result<Vec<Change>, String> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT table_name, row_id, op FROM live_changes WHERE seq = ANY ($1) ORDER BY seq",
            &[&numbers],
        )
        .map_err(|error| error.to_string())?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Change {
                table: row.get(0),
                id: row.get(1),
                operation: Operation::parse(row.get(2))?,
            })
        })
        .collect())
}
