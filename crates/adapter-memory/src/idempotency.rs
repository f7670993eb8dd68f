//! Idempotency records in the process's memory, for the embedded server: kept for their time
//! to live within a bound on the bytes they hold. Lost on restart, like the embedded server's
//! other caches (a retry after a restart executes again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kernel::{Claim, Clock, IdempotencyStore, RepoError};

/// What a key holds.
#[derive(Debug, Clone)]
enum State {
    /// A request holds it.
    Held,
    /// The answer to the request.
    Done(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    state: State,
    expires_at: DateTime<Utc>,
}

impl Entry {
    fn weight(&self, key: &str) -> usize {
        let record = match &self.state {
            State::Held => 0,
            State::Done(record) => record.len(),
        };
        key.len() + self.fingerprint.len() + record + 64
    }
}

/// The map and the bytes its entries weigh.
#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    bytes: usize,
}

impl Entries {
    fn insert(&mut self, key: &str, entry: Entry) {
        self.bytes += entry.weight(key);
        if let Some(old) = self.map.insert(key.to_owned(), entry) {
            self.bytes -= old.weight(key);
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= old.weight(key);
        }
    }

    fn drop_expired(&mut self, now: DateTime<Utc>) {
        let bytes = &mut self.bytes;
        self.map.retain(|key, e| {
            let keep = e.expires_at > now;
            if !keep {
                *bytes -= e.weight(key);
            }
            keep
        });
    }
}

/// Idempotency records in memory.
pub struct MemoryIdempotencyStore {
    entries: Mutex<Entries>,
    capacity_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryIdempotencyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryIdempotencyStore").field("capacity_bytes", &self.capacity_bytes).finish_non_exhaustive()
    }
}

impl MemoryIdempotencyStore {
    /// An empty store holding at most `capacity_bytes` of records; `clock` decides what has
    /// expired. When full, a new record is not kept (logged): a retry then executes again.
    pub fn new(capacity_bytes: usize, clock: Arc<dyn Clock>) -> Self {
        Self { entries: Mutex::default(), capacity_bytes, clock }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Entries, DateTime<Utc>) -> T) -> T {
        let now = self.clock.now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut entries, now)
    }
}

fn until(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[async_trait::async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, key: &str, fingerprint: &str, lease: Duration) -> Result<Claim, RepoError> {
        Ok(self.with(|entries, now| {
            match entries.map.get(key).filter(|e| e.expires_at > now) {
                Some(e) if e.fingerprint != fingerprint => return Claim::Mismatch,
                Some(Entry { state: State::Held, .. }) => return Claim::InFlight,
                Some(Entry { state: State::Done(record), .. }) => return Claim::Completed(record.clone()),
                None => {}
            }
            let entry =
                Entry { fingerprint: fingerprint.to_owned(), state: State::Held, expires_at: until(now, lease) };
            entries.insert(key, entry);
            Claim::Acquired
        }))
    }

    async fn complete(&self, key: &str, fingerprint: &str, record: &[u8], ttl: Duration) -> Result<(), RepoError> {
        let capacity = self.capacity_bytes;
        self.with(|entries, now| {
            let entry = Entry {
                fingerprint: fingerprint.to_owned(),
                state: State::Done(record.to_vec()),
                expires_at: until(now, ttl),
            };
            entries.remove(key);
            if entries.bytes + entry.weight(key) > capacity {
                entries.drop_expired(now);
            }
            if entries.bytes + entry.weight(key) > capacity {
                tracing::warn!(capacity, "the idempotency store is full: an answer is not kept");
            } else {
                entries.insert(key, entry);
            }
        });
        Ok(())
    }

    async fn release(&self, key: &str, fingerprint: &str) -> Result<(), RepoError> {
        self.with(|entries, _| {
            if entries.map.get(key).is_some_and(|e| matches!(e.state, State::Held) && e.fingerprint == fingerprint) {
                entries.remove(key);
            }
        });
        Ok(())
    }
}
