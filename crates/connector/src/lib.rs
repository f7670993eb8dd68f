//! The connector domain: what integrations read. Today the event feed
//! (`GET /api/v1/events?after=`): the domain events a caller may see, in an order that never
//! changes once read, so a client that syncs by pulling resumes where it stopped and misses
//! nothing (decision 0047). Webhook subscriptions and deliveries are planned.

mod error;
mod feed;
mod model;
mod ports;

pub use error::FeedError;
pub use feed::{EventFeed, FeedPage};
pub use model::{FeedEvent, FeedPosition, Viewer};
pub use ports::EventLog;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockEventLog;
