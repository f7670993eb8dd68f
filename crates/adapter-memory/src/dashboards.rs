//! Rendered dashboards in the process's memory, for the embedded server: bounded by the bytes
//! they hold (the least recently used go first), each dropped at the end of its time to live.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dashboard::{DashboardCache, Rendered};
use kernel::{Clock, RepoError, UserId};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// What an entry costs besides its body and tag: the key, the stamp, the expiry, the cache's
/// own bookkeeping.
const ENTRY_OVERHEAD: u64 = 128;

#[derive(Clone)]
struct ByBytes;

impl Weighter<UserId, (Rendered, DateTime<Utc>)> for ByBytes {
    fn weight(&self, _: &UserId, (rendered, _): &(Rendered, DateTime<Utc>)) -> u64 {
        ENTRY_OVERHEAD + rendered.body.len() as u64 + rendered.tag.len() as u64
    }
}

/// Dashboards kept in memory, at most `capacity` bytes of them.
pub struct MemoryDashboardCache {
    entries: Cache<UserId, (Rendered, DateTime<Utc>), ByBytes>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryDashboardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryDashboardCache").field("weight", &self.entries.weight()).finish_non_exhaustive()
    }
}

impl MemoryDashboardCache {
    /// An empty cache holding at most `capacity_bytes`; `clock` decides what has expired.
    pub fn new(capacity_bytes: u64, clock: Arc<dyn Clock>) -> Self {
        // quick_cache sizes its tables by an estimate of the number of entries: a dashboard
        // is a few kilobytes.
        let estimated = usize::try_from(capacity_bytes / 4096).unwrap_or(usize::MAX).max(16);
        Self { entries: Cache::with_weighter(estimated, capacity_bytes.max(1), ByBytes), clock }
    }
}

#[async_trait::async_trait]
impl DashboardCache for MemoryDashboardCache {
    async fn get(&self, user: UserId) -> Result<Option<Rendered>, RepoError> {
        let Some((rendered, expires_at)) = self.entries.get(&user) else { return Ok(None) };
        if expires_at <= self.clock.now() {
            self.entries.remove(&user);
            return Ok(None);
        }
        Ok(Some(rendered))
    }

    async fn put(&self, user: UserId, rendered: &Rendered, ttl: Duration) -> Result<(), RepoError> {
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| RepoError::Unexpected(e.into()))?;
        self.entries.insert(user, (rendered.clone(), self.clock.now() + ttl));
        Ok(())
    }
}
