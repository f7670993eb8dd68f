//! `/health/ready`: the database and Redis answer within a second, and we are not draining.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use adapter_http::Readiness;
use adapter_redis::RedisPool;
use adapter_sea_orm::Db;

const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) struct Checks {
    db: Db,
    redis: Option<RedisPool>,
    draining: AtomicBool,
}

impl Checks {
    pub(crate) fn new(db: Db, redis: Option<RedisPool>) -> Self {
        Self { db, redis, draining: AtomicBool::new(false) }
    }

    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }
}

async fn timed(check: impl Future<Output = anyhow::Result<()>>) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(_) => Err("timed out".into()),
    }
}

#[async_trait::async_trait]
impl Readiness for Checks {
    async fn check(&self) -> Vec<(&'static str, Result<(), String>)> {
        let mut results = vec![("database", timed(self.db.ping()).await)];
        if let Some(redis) = &self.redis {
            results.push(("redis", timed(redis.ping()).await));
        }
        if self.draining.load(Ordering::SeqCst) {
            results.push(("shutdown", Err("draining".into())));
        }
        results
    }
}
