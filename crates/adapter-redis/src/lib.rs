//! Outbound adapter: the ports that live in Redis in production (sessions and dashboards now;
//! rate limits and idempotency records later), on a deadpool-redis pool shared by all
//! instances.

mod dashboards;
mod pool;
mod sessions;

pub use dashboards::RedisDashboardCache;
pub use pool::RedisPool;
pub use sessions::RedisSessionStore;
