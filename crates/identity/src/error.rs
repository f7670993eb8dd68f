//! What the identity use cases can answer besides success.

use kernel::RepoError;

/// Errors of [`crate::IdentityService`].
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The resource does not exist, or the caller may not know it does.
    #[error("not found")]
    NotFound,
    /// The caller is authenticated but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// A value did not parse.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The input field.
        field: &'static str,
        /// Why it was refused.
        message: String,
    },
    /// Unknown email or wrong password; deliberately not saying which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Local passwords are turned off in configuration.
    #[error("password sign-in is disabled")]
    PasswordLoginDisabled,
    /// A sign-in through an OpenID provider was refused.
    #[error("single sign-on refused: {0}")]
    Sso(crate::model::SsoFailure),
    /// Another account already uses this email.
    #[error("email already in use")]
    EmailTaken,
    /// The change would leave no active administrator.
    #[error("the last active administrator cannot be demoted or disabled")]
    LastAdmin,
    /// The resource changed since the caller read it (the caller named a version).
    #[error("version mismatch")]
    VersionMismatch,
    /// A concurrent change won a race the caller did not guard with a version; retrying works.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A store could not be reached in time; retrying later may help.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug, or a store that failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for IdentityError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(detail) => Self::Conflict(detail),
            RepoError::Unavailable(why) => Self::Unavailable(why),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl IdentityError {
    pub(crate) fn invalid(field: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Invalid { field, message: message.to_string() }
    }
}
