//! What reading the audit log can fail with.

use kernel::RepoError;

/// Errors of [`crate::AuditService`].
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A filter is malformed.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The filter field.
        field: &'static str,
        /// Why it was refused.
        message: String,
    },
    /// Only administrators may do this.
    #[error("only administrators may do this")]
    Forbidden,
    /// The store did not answer in time.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug, or a store that failed.
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<RepoError> for AuditError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(why) => Self::Unavailable(why),
            RepoError::NotFound | RepoError::Conflict(_) => Self::Unexpected(anyhow::anyhow!("audit read: {e}")),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}
