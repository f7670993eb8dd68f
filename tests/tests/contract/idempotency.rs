//! One contract for `IdempotencyStore`: Redis and memory.

use std::sync::Arc;
use std::time::Duration;

use adapter_memory::MemoryIdempotencyStore;
use adapter_redis::RedisIdempotencyStore;
use chrono::{TimeZone as _, Utc};
use corkboard_tests::redis_pool;
use kernel::{Claim, IdempotencyStore, ManualClock};
use uuid::Uuid;

/// A store under test: its name, the store, and the clock it reads (none: Redis's own).
type Subject = (&'static str, Arc<dyn IdempotencyStore>, Option<Arc<ManualClock>>);

async fn stores() -> Vec<Subject> {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()));
    let mut out: Vec<Subject> =
        vec![("memory", Arc::new(MemoryIdempotencyStore::new(1 << 20, clock.clone())), Some(clock))];
    if let Some(pool) = redis_pool().await {
        out.push(("redis", Arc::new(RedisIdempotencyStore::new(pool)), None));
    }
    out
}

async fn pass(clock: Option<&Arc<ManualClock>>, by: Duration) {
    match clock {
        Some(clock) => clock.advance(chrono::Duration::from_std(by).unwrap()),
        None => tokio::time::sleep(by).await,
    }
}

const LEASE: Duration = Duration::from_mins(1);
const DAY: Duration = Duration::from_hours(24);

#[tokio::test]
async fn the_first_claim_holds_the_key_and_its_answer_is_replayed_to_the_same_request_only() {
    for (name, store, _) in stores().await {
        let key = format!("scope:{}", Uuid::now_v7());
        assert_eq!(store.claim(&key, "fp1", LEASE).await.unwrap(), Claim::Acquired, "{name}");
        assert_eq!(store.claim(&key, "fp1", LEASE).await.unwrap(), Claim::InFlight, "{name}");
        assert_eq!(store.claim(&key, "fp2", LEASE).await.unwrap(), Claim::Mismatch, "{name}");
        store.complete(&key, "fp1", b"\x00\xc9answer\n", DAY).await.unwrap();
        assert_eq!(store.claim(&key, "fp1", LEASE).await.unwrap(), Claim::Completed(b"\x00\xc9answer\n".to_vec()));
        assert_eq!(store.claim(&key, "fp2", LEASE).await.unwrap(), Claim::Mismatch, "{name}");
        store.release(&key, "fp1").await.unwrap();
        assert!(
            matches!(store.claim(&key, "fp1", LEASE).await.unwrap(), Claim::Completed(_)),
            "{name}: a record is not released"
        );
        let other = format!("other:{}", Uuid::now_v7());
        assert_eq!(store.claim(&other, "fp2", LEASE).await.unwrap(), Claim::Acquired, "{name}: keys are independent");
    }
}

#[tokio::test]
async fn a_released_or_lapsed_key_can_be_claimed_again() {
    for (name, store, clock) in stores().await {
        let key = format!("scope:{}", Uuid::now_v7());
        assert_eq!(store.claim(&key, "fp", LEASE).await.unwrap(), Claim::Acquired);
        store.release(&key, "other").await.unwrap();
        assert_eq!(store.claim(&key, "fp", LEASE).await.unwrap(), Claim::InFlight, "{name}: only its holder releases");
        store.release(&key, "fp").await.unwrap();
        assert_eq!(store.claim(&key, "fp", Duration::from_millis(50)).await.unwrap(), Claim::Acquired, "{name}");
        pass(clock.as_ref(), Duration::from_millis(150)).await;
        assert_eq!(store.claim(&key, "fp2", LEASE).await.unwrap(), Claim::Acquired, "{name}: the lease ran out");
        store.complete(&key, "fp2", b"x", Duration::from_millis(50)).await.unwrap();
        pass(clock.as_ref(), Duration::from_millis(150)).await;
        assert_eq!(store.claim(&key, "fp3", LEASE).await.unwrap(), Claim::Acquired, "{name}: the record expired");
    }
}

#[tokio::test]
async fn a_full_memory_store_keeps_no_more_answers() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()));
    let store = MemoryIdempotencyStore::new(4096, clock);
    let big = vec![b'x'; 1500];
    let mut kept = 0;
    for n in 0..5 {
        let key = format!("k{n}");
        assert_eq!(store.claim(&key, "fp", LEASE).await.unwrap(), Claim::Acquired);
        store.complete(&key, "fp", &big, DAY).await.unwrap();
        kept += usize::from(matches!(store.claim(&key, "fp", LEASE).await.unwrap(), Claim::Completed(_)));
    }
    assert_eq!(kept, 2, "4 KiB hold two answers of 1.5 KiB");
}
