//! Outbound adapter: the ports that live in Redis in production (sessions now; cache, rate
//! limits and idempotency records later), on a deadpool-redis pool shared by all instances.

mod pool;
mod sessions;

pub use pool::RedisPool;
pub use sessions::RedisSessionStore;
