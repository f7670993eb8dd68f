//! Where the feed reads from.

use kernel::RepoError;

use crate::model::{FeedEvent, FeedPosition, Viewer};

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

    /// The oldest seal still kept (retention removes the oldest whole seals, never the newest);
    /// `None` when nothing is sealed yet.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer; `Unexpected` otherwise.
    async fn oldest_seal(&self) -> Result<Option<u64>, RepoError>;
}
