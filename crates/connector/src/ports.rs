//! Where the feed reads from.

use kernel::RepoError;

use crate::model::{FeedEvent, FeedPosition, SealSpan, Viewer};

/// The log of domain events, in feed order.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait EventLog: Send + Sync {
    /// The events `viewer` may see that stand after `after` (from the start when `None`), in
    /// feed order; at most `limit`. Only events already given their place are read.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer; `Unexpected` otherwise.
    async fn after(&self, viewer: Viewer, after: Option<FeedPosition>, limit: u32)
    -> Result<Vec<FeedEvent>, RepoError>;

    /// The oldest and the newest seal kept; `None` when nothing is sealed yet.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer; `Unexpected` otherwise.
    async fn seals(&self) -> Result<Option<SealSpan>, RepoError>;
}
