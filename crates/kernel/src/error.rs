//! The one error every port returns. Drivers' errors never cross a port.

/// What went wrong in an outbound adapter.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The row does not exist (or the caller may not know it does).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule or an expected version did not hold.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store could not be reached or timed out; retrying may help.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else; a bug or a broken invariant.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
