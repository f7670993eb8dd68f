//! The connection pool and the key namespace.

use std::time::Duration;

use anyhow::Context as _;
use deadpool_redis::{Config, Connection, Pool, Runtime};
use kernel::RepoError;
use tracing::Instrument as _;

/// A Redis pool with a key prefix, so several deployments (or tests) can share one server.
#[derive(Clone)]
pub struct RedisPool {
    pool: Pool,
    prefix: String,
}

impl std::fmt::Debug for RedisPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPool").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisPool {
    /// Connects to `url` and checks the server answers. Keys start with `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let mut config = Config::from_url(url);
        let mut pool_config = deadpool_redis::PoolConfig::new(16);
        pool_config.timeouts.wait = Some(Duration::from_secs(2));
        pool_config.timeouts.create = Some(Duration::from_secs(2));
        pool_config.timeouts.recycle = Some(Duration::from_secs(2));
        config.pool = Some(pool_config);
        let pool = config.create_pool(Some(Runtime::Tokio1)).context("invalid Redis configuration")?;
        let this = Self { pool, prefix: prefix.to_owned() };
        this.ping().await.context("Redis did not answer")?;
        Ok(this)
    }

    /// `PING`, for readiness checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }

    pub(crate) async fn conn(&self) -> Result<Connection, RepoError> {
        self.pool.get().await.map_err(|e| RepoError::Unavailable(format!("redis pool: {e}")))
    }

    pub(crate) fn key(&self, parts: &[&str]) -> String {
        let mut key = String::with_capacity(self.prefix.len() + parts.iter().map(|p| p.len() + 1).sum::<usize>());
        key.push_str(&self.prefix);
        for part in parts {
            key.push_str(part);
            key.push(':');
        }
        key.pop();
        key
    }
}

/// Runs `work`, one use of Redis named by its (first) `command`, in a client span, so that an
/// exported trace shows it under the request that made it (decision 0051); a failure marks the
/// span failed. The span is at DEBUG under its own target, which only the OpenTelemetry layer
/// enables: when traces are not exported it is never made.
pub(crate) async fn traced<T>(
    command: &'static str,
    work: impl Future<Output = Result<T, RepoError>>,
) -> Result<T, RepoError> {
    let span = tracing::debug_span!(
        target: "corkboard::redis",
        "redis",
        otel.name = command,
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        db.system.name = "redis",
        db.operation.name = command,
    );
    let done = work.instrument(span.clone()).await;
    if done.is_err() {
        span.record("otel.status_code", "error");
    }
    done
}

/// Maps a Redis error onto the port error.
pub(crate) fn map_redis_err(e: &redis::RedisError) -> RepoError {
    if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() {
        RepoError::Unavailable(e.to_string())
    } else {
        RepoError::Unexpected(anyhow::anyhow!("redis: {e}"))
    }
}
