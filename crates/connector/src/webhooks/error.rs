//! What a webhook use case can fail with.

use kernel::RepoError;

/// The outcome of a failed webhook use case.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No such subscription or delivery, or one of another user's (indistinguishable).
    #[error("not found")]
    NotFound,
    /// An input is not acceptable.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The input field at fault, as the API names it.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A delivery of a webhook that is turned off cannot be re-sent.
    #[error("the webhook is turned off")]
    Inactive,
    /// The caller's expected version is stale.
    #[error("the webhook has changed since the version you expected")]
    VersionMismatch,
    /// A concurrent change won; retrying may help.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A store did not answer in time.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug, or a store that failed.
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl WebhookError {
    /// A [`WebhookError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }
}

impl From<RepoError> for WebhookError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(detail) => Self::Conflict(detail),
            RepoError::Unavailable(why) => Self::Unavailable(why),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}
