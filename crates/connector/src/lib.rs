//! The connector domain: what integrations use. The event feed
//! (`GET /api/v1/events?after=`): the domain events a caller may see, in an order that never
//! changes once read, so a client that syncs by pulling resumes where it stopped and misses
//! nothing (decision 0047). Webhooks: subscriptions that receive the same events pushed as
//! signed requests, from the transactional outbox, retried for about a day (decision 0049).

mod error;
mod feed;
mod model;
mod ports;
pub mod webhooks;

pub use error::FeedError;
pub use feed::{EventFeed, FeedPage};
pub use model::{FeedEvent, FeedPosition, SealSpan, Viewer};
pub use ports::EventLog;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockEventLog;
