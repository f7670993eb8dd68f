//! What reading a dashboard can fail with.

use kernel::RepoError;

/// Errors of [`crate::DashboardService`].
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// A store did not answer in time.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug, or a store that failed.
    #[error("dashboard read: {0}")]
    Unexpected(RepoError),
}

impl From<RepoError> for DashboardError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(why) => Self::Unavailable(why),
            other => Self::Unexpected(other),
        }
    }
}
