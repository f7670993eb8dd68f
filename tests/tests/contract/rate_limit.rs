//! One contract for `RateLimiter`: memory and Redis, both on a manual clock (Redis's keys are
//! named by the window the clock is in): counts grow per key within a window, each key on its
//! own, and start again in the next window; the time left is the window's. Redis limiters
//! learn each other's counts when they flush.

use std::sync::Arc;
use std::time::Duration;

use adapter_memory::MemoryRateLimiter;
use adapter_redis::RedisRateLimiter;
use chrono::{TimeZone as _, Utc};
use corkboard_tests::redis_pool;
use kernel::{ManualClock, RateLimiter};
use uuid::Uuid;

const MINUTE: Duration = Duration::from_mins(1);

/// 12:00:15 UTC: 45 seconds left in the minute.
async fn limiters() -> Vec<(&'static str, Arc<dyn RateLimiter>, Arc<ManualClock>)> {
    let clock = || Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 15).unwrap()));
    let memory = clock();
    let mut out: Vec<(&'static str, Arc<dyn RateLimiter>, Arc<ManualClock>)> =
        vec![("memory", Arc::new(MemoryRateLimiter::new(1000, memory.clone())), memory)];
    if let Some(pool) = redis_pool().await {
        let redis = clock();
        out.push(("redis", Arc::new(RedisRateLimiter::new(pool, redis.clone())), redis));
    }
    out
}

#[tokio::test]
async fn counts_grow_per_key_within_a_window_and_start_again_in_the_next() {
    for (name, limiter, clock) in limiters().await {
        let (a, b) = (format!("ip:{}", Uuid::now_v7()), format!("caller:{}", Uuid::now_v7()));
        let first = limiter.hit(&[a.clone(), b.clone()], MINUTE).await.unwrap();
        assert_eq!(first.counts, [1, 1], "{name}");
        assert_eq!(first.reset, Duration::from_secs(45), "{name}");
        limiter.hit(std::slice::from_ref(&a), MINUTE).await.unwrap();
        let third = limiter.hit(&[b.clone(), a.clone()], MINUTE).await.unwrap();
        assert_eq!(third.counts, [2, 3], "{name}: in the order asked");
        clock.advance(chrono::Duration::seconds(44));
        assert_eq!(limiter.hit(std::slice::from_ref(&a), MINUTE).await.unwrap().reset, Duration::from_secs(1));
        clock.advance(chrono::Duration::seconds(1));
        let next = limiter.hit(&[a, b], MINUTE).await.unwrap();
        assert_eq!((next.counts, next.reset), (vec![1, 1], MINUTE), "{name}: a new window");
    }
}

#[tokio::test]
async fn redis_limiters_share_their_counts_when_they_flush() {
    let Some(pool) = redis_pool().await else { return };
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 15).unwrap()));
    let (one, other) = (RedisRateLimiter::new(pool.clone(), clock.clone()), RedisRateLimiter::new(pool, clock));
    let key = vec![format!("caller:{}", Uuid::now_v7())];
    for _ in 0..3 {
        one.hit(&key, MINUTE).await.unwrap();
    }
    one.flush().await.unwrap();
    // The other instance knows nothing until it flushes its own count of the key.
    assert_eq!(other.hit(&key, MINUTE).await.unwrap().counts, [1]);
    other.flush().await.unwrap();
    assert_eq!(other.hit(&key, MINUTE).await.unwrap().counts, [5], "3 + 1 shared, and this one");
    assert_eq!(one.hit(&key, MINUTE).await.unwrap().counts, [4], "one has not flushed since");
    one.flush().await.unwrap();
    assert_eq!(one.hit(&key, MINUTE).await.unwrap().counts, [6]);
}

#[tokio::test]
async fn a_full_memory_limiter_forgets_past_windows_and_does_not_grow() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()));
    // One key per shard.
    let limiter = MemoryRateLimiter::new(16, clock.clone());
    let keys: Vec<String> = (0..200).map(|i| format!("ip:{i}")).collect();
    for _ in 0..2 {
        limiter.hit(&keys, MINUTE).await.unwrap();
    }
    let counts = limiter.hit(&keys, MINUTE).await.unwrap().counts;
    let counted = counts.iter().filter(|n| **n == 3).count();
    assert!((1..=16).contains(&counted), "{counted} keys counted");
    assert!(counts.iter().all(|n| *n == 3 || *n == 1), "the others pass uncounted: {counts:?}");
    // In the next window the past counts make room for new keys.
    clock.advance(chrono::Duration::minutes(1));
    let fresh: Vec<String> = (0..200).map(|i| format!("caller:{i}")).collect();
    limiter.hit(&fresh, MINUTE).await.unwrap();
    let again = limiter.hit(&fresh, MINUTE).await.unwrap().counts;
    assert!(again.iter().filter(|n| **n == 2).count() >= 1, "{again:?}");
}
