//! What a note use case can fail with.

use kernel::RepoError;

use crate::model::BodyError;

/// The outcome of a failed note use case. Exhaustive on purpose: a new variant must be mapped
/// by the HTTP adapter before it compiles.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// The note does not exist, or the caller may not see it (the two are indistinguishable so
    /// that ids never leak).
    #[error("not found")]
    NotFound,
    /// The caller sees the note (or the board) but may not change it.
    #[error("forbidden")]
    Forbidden,
    /// An input was well-formed but does not make sense here (a card of another board, a board
    /// the caller is not a member of, …).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The input field at fault, as the API names it (`card_id`, `cursor`, …).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The body is larger than a note may be.
    #[error("the note body exceeds {max_bytes} bytes")]
    TooLarge {
        /// The limit, in bytes of UTF-8.
        max_bytes: usize,
    },
    /// The caller's expected version is stale: someone changed the note since.
    #[error("the note has changed since the version you expected")]
    VersionMismatch,
    /// A concurrent change won and the caller stated no expected version; retrying may help.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A store could not be reached in time; retrying later may help.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug; the cause is for the logs, not for clients.
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl NoteError {
    /// A [`NoteError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    /// Maps the error of a versioned write: a stale version is a [`NoteError::VersionMismatch`]
    /// when the caller stated what they expected, and a retryable [`NoteError::Conflict`]
    /// when they did not.
    pub(crate) fn stale_write(expected_given: bool) -> impl FnOnce(RepoError) -> Self {
        move |err| match err {
            RepoError::Conflict(_) if expected_given => Self::VersionMismatch,
            RepoError::Conflict(_) => Self::Conflict("changed concurrently by another request; retry".into()),
            other => other.into(),
        }
    }
}

impl From<RepoError> for NoteError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(detail) => Self::Conflict(detail),
            RepoError::Unavailable(detail) => Self::Unavailable(detail),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<BodyError> for NoteError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::TooLarge { max_bytes } => Self::TooLarge { max_bytes },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_writes_are_version_mismatches_only_when_a_version_was_expected() {
        let stale = || RepoError::Conflict("version".into());
        assert!(matches!(NoteError::stale_write(true)(stale()), NoteError::VersionMismatch));
        assert!(matches!(NoteError::stale_write(false)(stale()), NoteError::Conflict(_)));
        assert!(matches!(NoteError::stale_write(true)(RepoError::NotFound), NoteError::NotFound));
    }

    #[test]
    fn an_oversized_body_is_its_own_error() {
        let err = NoteError::from(BodyError::TooLarge { max_bytes: 10 });
        assert!(matches!(err, NoteError::TooLarge { max_bytes: 10 }));
    }
}
