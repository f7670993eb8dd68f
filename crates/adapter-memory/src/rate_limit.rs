//! Request counts in the process's memory, for the embedded server (one instance): a count per
//! key and window, in shards so that concurrent requests rarely wait on one another. A shard
//! that fills up forgets the counts of past windows; if it is still full, a new key is not
//! counted (its requests pass) rather than letting memory grow without bound.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kernel::{Clock, Hits, RateLimiter, RepoError, window_at};

const SHARDS: usize = 16;

/// Each key's window number and count in it.
type Shard = Mutex<HashMap<String, (u64, u64)>>;

/// Request counts in memory.
#[derive(Clone)]
pub struct MemoryRateLimiter {
    shards: Arc<[Shard; SHARDS]>,
    spread: RandomState,
    keys_per_shard: usize,
    clock: Arc<dyn Clock>,
}

impl MemoryRateLimiter {
    /// Counts for up to `max_keys` keys at once, on `clock`.
    pub fn new(max_keys: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            shards: Arc::new(std::array::from_fn(|_| Mutex::new(HashMap::new()))),
            spread: RandomState::new(),
            keys_per_shard: max_keys.div_ceil(SHARDS).max(1),
            clock,
        }
    }

    fn count(&self, key: &str, window: u64) -> u64 {
        let shard = usize::try_from(self.spread.hash_one(key) % SHARDS as u64).unwrap_or_default();
        let mut counts = self.shards[shard].lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, n)) = counts.get_mut(key) {
            if *at == window {
                *n += 1;
            } else {
                (*at, *n) = (window, 1);
            }
            return *n;
        }
        if counts.len() >= self.keys_per_shard {
            counts.retain(|_, (at, _)| *at == window);
            if counts.len() >= self.keys_per_shard {
                return 1;
            }
        }
        counts.insert(key.to_owned(), (window, 1));
        1
    }
}

impl std::fmt::Debug for MemoryRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRateLimiter").field("keys_per_shard", &self.keys_per_shard).finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, keys: &[String], window: Duration) -> Result<Hits, RepoError> {
        let now_ms = u64::try_from(self.clock.now().timestamp_millis()).unwrap_or_default();
        let (current, reset) = window_at(now_ms, window);
        Ok(Hits { counts: keys.iter().map(|k| self.count(k, current)).collect(), reset })
    }
}
