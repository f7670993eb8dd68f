//! What a board use case can fail with.

use kernel::{ColumnId, RepoError};

/// The outcome of a failed board use case. Exhaustive on purpose: a new variant must be mapped
/// by the HTTP adapter before it compiles.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// The resource does not exist, or the caller is not a member of its board (the two are
    /// indistinguishable so that ids never leak).
    #[error("not found")]
    NotFound,
    /// The caller is a member but their role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// An input was well-formed but does not make sense here (an unknown user, a label of
    /// another board, …).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The input field at fault, as the API names it (`user_id`, `labels`, …).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The caller's expected version is stale: someone changed the resource since.
    #[error("the resource has changed since the version you expected")]
    VersionMismatch,
    /// The destination column holds as many open cards as its WIP limit allows.
    #[error("column {column_id} is at its WIP limit of {limit} cards")]
    WipLimitExceeded {
        /// The full column.
        column_id: ColumnId,
        /// Its limit.
        limit: u32,
    },
    /// The change contradicts the board's state (the last owner leaving, a column that still
    /// holds cards, a member added twice, a concurrent change without an expected version).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A store could not be reached in time; retrying later may help.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug; the cause is for the logs, not for clients.
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl BoardError {
    /// An [`BoardError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    /// Maps the error of a versioned write: a stale version is a [`BoardError::VersionMismatch`]
    /// when the caller stated what they expected, and a retryable [`BoardError::Conflict`]
    /// when they did not (they asked for no precondition, so 412 would be wrong).
    pub(crate) fn stale_write(expected_given: bool) -> impl FnOnce(RepoError) -> Self {
        move |err| match err {
            RepoError::Conflict(_) if expected_given => Self::VersionMismatch,
            RepoError::Conflict(_) => Self::Conflict("changed concurrently by another request; retry".into()),
            other => other.into(),
        }
    }
}

impl From<RepoError> for BoardError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(detail) => Self::Conflict(detail),
            RepoError::Unavailable(detail) => Self::Unavailable(detail),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_writes_are_version_mismatches_only_when_a_version_was_expected() {
        let stale = || RepoError::Conflict("version".into());
        assert!(matches!(BoardError::stale_write(true)(stale()), BoardError::VersionMismatch));
        assert!(matches!(BoardError::stale_write(false)(stale()), BoardError::Conflict(_)));
        assert!(matches!(BoardError::stale_write(true)(RepoError::NotFound), BoardError::NotFound));
    }

    #[test]
    fn store_outages_are_unavailable() {
        let err = BoardError::from(RepoError::Unavailable("pool timed out".into()));
        assert!(matches!(err, BoardError::Unavailable(_)));
    }
}
