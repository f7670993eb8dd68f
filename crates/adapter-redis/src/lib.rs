//! Outbound adapter: the ports that live in Redis in production (sessions, dashboards and
//! idempotency records now; rate limits later), on a deadpool-redis pool shared by all
//! instances.

mod dashboards;
mod idempotency;
mod pool;
mod rate_limit;
mod sessions;

pub use dashboards::RedisDashboardCache;
pub use idempotency::RedisIdempotencyStore;
pub use pool::RedisPool;
pub use rate_limit::RedisRateLimiter;
pub use sessions::RedisSessionStore;
