//! What reading the feed can fail with.

use kernel::RepoError;

/// Errors of [`crate::EventFeed`].
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The position read after lies in a seal that retention has removed: events after it may
    /// be gone, so reading on would skip them silently.
    #[error("the cursor points into seal {seal}, older than the oldest kept ({oldest})")]
    CursorExpired {
        /// The cursor's seal.
        seal: u64,
        /// The oldest seal still kept.
        oldest: u64,
    },
    /// The store did not answer in time.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug, or a store that failed.
    #[error("event feed read: {0}")]
    Unexpected(RepoError),
}

impl From<RepoError> for FeedError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(why) => Self::Unavailable(why),
            other => Self::Unexpected(other),
        }
    }
}
