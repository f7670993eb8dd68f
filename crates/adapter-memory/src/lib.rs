//! Outbound adapter: in-process twins of the Redis ports, for the embedded default and for
//! tests. They pass the same contract suites as the Redis adapters.

mod dashboards;
mod idempotency;
mod rate_limit;
mod sessions;

pub use dashboards::MemoryDashboardCache;
pub use idempotency::MemoryIdempotencyStore;
pub use rate_limit::MemoryRateLimiter;
pub use sessions::MemorySessionStore;
