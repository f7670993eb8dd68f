//! Request counts shared through Redis, without a round trip per request: each instance counts
//! locally and adds its counts to Redis every 100 ms, learning the other instances'
//! counts in the same call. A request is judged on the last known shared count plus what this
//! instance counted since, so a quota is exact on one instance and may be overrun across N
//! instances by what N − 1 of them counted in the last flush interval (decision 0050). When
//! Redis does not answer, counts stay local (still limited per instance) and are added later.
//!
//! In Redis, `ratelimit:{key}:{window}` counts the requests of one window and expires with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use kernel::{Clock, Hits, RateLimiter, RepoError, window_at};

use crate::pool::{RedisPool, map_redis_err};

/// How often counts are added to Redis.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Keys counted at once; past it new keys are not counted until the window turns.
const MAX_KEYS: usize = 100_000;

/// Adds each count to its key; a key's first count gives it the window's time to live.
const ADD: &str = "local counts = {} \
    for i, key in ipairs(KEYS) do \
      local n = redis.call('INCRBY', key, ARGV[2 * i - 1]) \
      if n == tonumber(ARGV[2 * i - 1]) then redis.call('PEXPIRE', key, ARGV[2 * i]) end \
      counts[i] = n \
    end \
    return counts";

/// One key of one window.
#[derive(Debug, Clone, Copy)]
struct Count {
    /// The window's number.
    window: u64,
    /// How long the Redis key lives, in milliseconds.
    ttl_ms: u64,
    /// The shared count at the last flush.
    known: u64,
    /// What this instance counted and a flush is adding now.
    in_flight: u64,
    /// What this instance counted since.
    pending: u64,
}

impl Count {
    /// The count a request is judged on.
    fn estimate(&self) -> u64 {
        self.known + self.in_flight + self.pending
    }
}

struct Shared {
    redis: RedisPool,
    clock: Arc<dyn Clock>,
    script: redis::Script,
    counts: Mutex<HashMap<String, Count>>,
    flusher: std::sync::OnceLock<()>,
}

/// Request counts shared through Redis.
#[derive(Clone)]
pub struct RedisRateLimiter {
    shared: Arc<Shared>,
}

impl RedisRateLimiter {
    /// Counts shared on `redis`, in windows of `clock`'s time (instances' clocks are assumed to
    /// agree within a small part of a window). A task adding the counts to Redis starts with
    /// the first request and ends when the limiter is dropped.
    pub fn new(redis: RedisPool, clock: Arc<dyn Clock>) -> Self {
        let shared = Shared {
            redis,
            clock,
            script: redis::Script::new(ADD),
            counts: Mutex::new(HashMap::new()),
            flusher: std::sync::OnceLock::new(),
        };
        Self { shared: Arc::new(shared) }
    }

    /// Adds what this instance counted to Redis and learns the shared counts (the task calls
    /// it every 100 ms; tests call it directly).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when Redis does not answer; the counts are then kept for the
    /// next flush.
    pub async fn flush(&self) -> Result<(), RepoError> {
        flush(&self.shared).await
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, HashMap<String, Count>> {
    shared.counts.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn flush(shared: &Shared) -> Result<(), RepoError> {
    let now_ms = u64::try_from(shared.clock.now().timestamp_millis()).unwrap_or_default();
    let taken: Vec<(String, Count)> = {
        let mut counts = lock(shared);
        // Past windows are done once nothing of theirs waits to be added.
        counts.retain(|_, c| c.pending > 0 || c.window >= window_at(now_ms, Duration::from_millis(c.ttl_ms.max(1))).0);
        counts
            .iter_mut()
            .filter(|(_, c)| c.pending > 0)
            .map(|(k, c)| {
                (c.in_flight, c.pending) = (c.pending, 0);
                (k.clone(), *c)
            })
            .collect::<Vec<_>>()
    };
    if taken.is_empty() {
        return Ok(());
    }
    let mut invocation = shared.script.prepare_invoke();
    for (key, count) in &taken {
        invocation.key(key).arg(count.in_flight).arg(count.ttl_ms.saturating_add(1000));
    }
    let added: Result<Vec<u64>, RepoError> = async {
        let mut conn = shared.redis.conn().await?;
        invocation.invoke_async(&mut conn).await.map_err(|e| map_redis_err(&e))
    }
    .await;
    let mut counts = lock(shared);
    let totals: Vec<Option<u64>> = match &added {
        Ok(totals) => totals.iter().copied().map(Some).collect(),
        Err(_) => vec![None; taken.len()],
    };
    for ((key, _), total) in taken.iter().zip(totals) {
        if let Some(c) = counts.get_mut(key) {
            match total {
                Some(total) => c.known = total,
                // Not added: added at the next flush.
                None => c.pending += c.in_flight,
            }
            c.in_flight = 0;
        }
    }
    added.map(drop)
}

/// Flushes every 100 ms while the limiter lives.
async fn flush_forever(shared: Weak<Shared>) {
    let mut failing = false;
    loop {
        tokio::time::sleep(FLUSH_EVERY).await;
        let Some(shared) = shared.upgrade() else { return };
        match flush(&shared).await {
            Ok(()) => failing = false,
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "rate-limit counts could not be shared through Redis; counting locally");
            }
            Err(_) => {}
        }
    }
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter").finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, keys: &[String], window: Duration) -> Result<Hits, RepoError> {
        let shared = &self.shared;
        shared.flusher.get_or_init(|| {
            tokio::spawn(flush_forever(Arc::downgrade(shared)));
        });
        let now_ms = u64::try_from(shared.clock.now().timestamp_millis()).unwrap_or_default();
        let (current, reset) = window_at(now_ms, window);
        let ttl_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let window_name = current.to_string();
        let mut counts = lock(shared);
        let hits = keys
            .iter()
            .map(|key| {
                let name = shared.redis.key(&["ratelimit", key.as_str(), &window_name]);
                if counts.len() >= MAX_KEYS && !counts.contains_key(&name) {
                    return 1;
                }
                let count =
                    counts.entry(name).or_insert(Count { window: current, ttl_ms, known: 0, in_flight: 0, pending: 0 });
                count.pending += 1;
                count.estimate()
            })
            .collect();
        Ok(Hits { counts: hits, reset })
    }
}
