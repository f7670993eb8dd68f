//! Request counts in Redis, shared by every instance: `ratelimit:{key}:{window}` counts the
//! requests of one window and expires with it. One script call counts every key of a request
//! (one round trip).

use std::sync::Arc;
use std::time::Duration;

use kernel::{Clock, Hits, RateLimiter, RepoError, window_at};

use crate::pool::{RedisPool, map_redis_err};

/// Increments each key; a key's first increment gives it the window's time to live.
const HIT: &str = "local counts = {} \
    for i, key in ipairs(KEYS) do \
      local n = redis.call('INCR', key) \
      if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end \
      counts[i] = n \
    end \
    return counts";

/// Request counts in Redis.
#[derive(Clone)]
pub struct RedisRateLimiter {
    redis: RedisPool,
    clock: Arc<dyn Clock>,
    script: Arc<redis::Script>,
}

impl RedisRateLimiter {
    /// Counts on `redis`, in windows of `clock`'s time (instances' clocks are assumed to agree
    /// within a small part of a window).
    pub fn new(redis: RedisPool, clock: Arc<dyn Clock>) -> Self {
        Self { redis, clock, script: Arc::new(redis::Script::new(HIT)) }
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
        let now_ms = u64::try_from(self.clock.now().timestamp_millis()).unwrap_or_default();
        let (current, reset) = window_at(now_ms, window);
        let mut invocation = self.script.prepare_invoke();
        for key in keys {
            invocation.key(self.redis.key(&["ratelimit", key, &current.to_string()]));
        }
        // Kept a little longer than the window, so a late instance still finds the count.
        invocation.arg(u64::try_from(window.as_millis()).unwrap_or(u64::MAX).saturating_add(1000));
        let mut conn = self.redis.conn().await?;
        let counts: Vec<u64> = invocation.invoke_async(&mut conn).await.map_err(|e| map_redis_err(&e))?;
        Ok(Hits { counts, reset })
    }
}
