//! What a reminder use case can fail with.

use kernel::RepoError;

use crate::model::ReminderStatus;

/// The outcome of a failed reminder use case. Exhaustive on purpose: a new variant must be
/// mapped by the HTTP adapter before it compiles.
#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    /// No such reminder, or it is someone else's (the two are indistinguishable).
    #[error("not found")]
    NotFound,
    /// An input was well-formed but does not make sense here (an `UNTIL` before `remind_at`,
    /// a target the caller cannot see, a snooze into the past).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The input field at fault, as the API names it (`recurrence`, `target`, `until`).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The caller's expected version is stale: someone changed the reminder since.
    #[error("the reminder has changed since the version you expected")]
    VersionMismatch,
    /// The reminder is completed or cancelled, and the change needs a scheduled one.
    #[error("the reminder is {0}")]
    NotScheduled(ReminderStatus),
    /// A concurrent change without an expected version, or a refused transaction.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A store could not be reached in time; retrying later may help.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug; the cause is for the logs, not for clients.
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl ReminderError {
    /// An [`ReminderError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    /// Maps the error of a versioned write: a stale version is a
    /// [`ReminderError::VersionMismatch`] when the caller stated what they expected, and a
    /// retryable [`ReminderError::Conflict`] when they did not.
    pub(crate) fn stale_write(expected_given: bool) -> impl FnOnce(RepoError) -> Self {
        move |err| match err {
            RepoError::Conflict(_) if expected_given => Self::VersionMismatch,
            RepoError::Conflict(_) => Self::Conflict("changed concurrently by another request; retry".into()),
            other => other.into(),
        }
    }
}

impl From<RepoError> for ReminderError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(detail) => Self::Conflict(detail),
            RepoError::Unavailable(detail) => Self::Unavailable(detail),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}
