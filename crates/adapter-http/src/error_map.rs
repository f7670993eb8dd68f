//! Each use-case error onto a status and a stable code. The matches are exhaustive, so a new
//! domain variant does not compile until it has an HTTP answer.

use audit::AuditError;
use axum::http::StatusCode;
use board::BoardError;
use identity::IdentityError;

use crate::error::ApiError;

/// Identity's errors.
pub(crate) fn identity(e: IdentityError) -> ApiError {
    match e {
        IdentityError::NotFound => ApiError::not_found("No such resource."),
        IdentityError::Forbidden => ApiError::forbidden("FORBIDDEN", "Only administrators may do this."),
        IdentityError::Invalid { field, message } => ApiError::invalid_field(field, message),
        IdentityError::InvalidCredentials => {
            ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "The email or password is wrong.")
        }
        IdentityError::PasswordLoginDisabled => {
            ApiError::forbidden("PASSWORD_LOGIN_DISABLED", "Password sign-in is turned off; use single sign-on.")
        }
        IdentityError::EmailTaken => ApiError::conflict("EMAIL_TAKEN", "Another account already uses this email."),
        IdentityError::LastAdmin => {
            ApiError::conflict("LAST_ADMIN", "The last active administrator cannot be demoted or disabled.")
        }
        IdentityError::VersionMismatch => ApiError::precondition_failed(),
        IdentityError::Conflict(detail) => ApiError::conflict("CONFLICT", detail),
        IdentityError::Unavailable(why) => ApiError::unavailable(&why),
        IdentityError::Unexpected(e) => ApiError::internal(e.as_ref()),
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        identity(e)
    }
}

/// Board's errors.
pub(crate) fn board(e: BoardError) -> ApiError {
    match e {
        BoardError::NotFound => ApiError::not_found("No such resource."),
        BoardError::Forbidden => ApiError::forbidden("FORBIDDEN", "Your role on this board does not allow this."),
        BoardError::Invalid { field, message } => ApiError::invalid_field(field, message),
        BoardError::VersionMismatch => ApiError::precondition_failed(),
        BoardError::WipLimitExceeded { column_id, limit } => ApiError::conflict(
            "WIP_LIMIT_EXCEEDED",
            format!("Column {column_id} already holds its WIP limit of {limit} cards."),
        ),
        BoardError::Conflict(detail) => ApiError::conflict("CONFLICT", detail),
        BoardError::Unavailable(why) => ApiError::unavailable(&why),
        BoardError::Unexpected(e) => ApiError::internal(e.as_ref()),
    }
}

impl From<BoardError> for ApiError {
    fn from(e: BoardError) -> Self {
        board(e)
    }
}

/// Audit's errors.
pub(crate) fn audit(e: AuditError) -> ApiError {
    match e {
        AuditError::Invalid { field, message } => ApiError::invalid_field(field, message),
        AuditError::Unavailable(why) => ApiError::unavailable(&why),
        AuditError::Unexpected(e) => ApiError::internal(e.as_ref()),
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        audit(e)
    }
}
