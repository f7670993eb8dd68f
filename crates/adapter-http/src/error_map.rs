//! Each use-case error onto a status and a stable code. The matches are exhaustive, so a new
//! domain variant does not compile until it has an HTTP answer.

use audit::AuditError;
use axum::http::{HeaderValue, StatusCode, header};
use board::BoardError;
use connector::FeedError;
use connector::webhooks::WebhookError;
use dashboard::DashboardError;
use identity::IdentityError;
use kernel::RepoError;
use notes::NoteError;
use reminders::ReminderError;

use crate::error::ApiError;

/// Identity's errors.
pub(crate) fn identity(e: IdentityError) -> ApiError {
    match e {
        IdentityError::NotFound => ApiError::not_found("No such resource."),
        IdentityError::Forbidden => ApiError::forbidden("FORBIDDEN", "Only administrators may do this."),
        IdentityError::Invalid { field, message } => ApiError::invalid_field(field, message),
        IdentityError::InvalidCredentials => {
            ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "The email or password is wrong.")
                .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="corkboard""#))
        }
        IdentityError::PasswordLoginDisabled => {
            ApiError::forbidden("PASSWORD_LOGIN_DISABLED", "Password sign-in is turned off; use single sign-on.")
        }
        IdentityError::Sso(reason) => sso(&reason),
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

/// A refused single sign-on (the browser routes redirect to `/login` instead; this is for
/// other callers).
fn sso(reason: &identity::SsoFailure) -> ApiError {
    use identity::SsoFailure;
    match reason {
        SsoFailure::UnknownProvider => ApiError::not_found("No such sign-in provider."),
        SsoFailure::Unavailable(why) => ApiError::unavailable(why),
        other => ApiError::new(StatusCode::BAD_REQUEST, "SSO_REFUSED", other.to_string()),
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
        AuditError::Forbidden => ApiError::forbidden("FORBIDDEN", "Only administrators may do this."),
        AuditError::Unavailable(why) => ApiError::unavailable(&why),
        AuditError::Unexpected(e) => ApiError::internal(e.as_ref()),
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        audit(e)
    }
}

impl From<DashboardError> for ApiError {
    fn from(e: DashboardError) -> Self {
        match e {
            DashboardError::Unavailable(why) => ApiError::unavailable(&why),
            DashboardError::Unexpected(e) => ApiError::internal(&e),
        }
    }
}

impl From<FeedError> for ApiError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::CursorExpired { .. } => ApiError::new(
                StatusCode::GONE,
                "CURSOR_EXPIRED",
                "Events after this cursor may have been removed by the retention window \
                 (audit.retention_days); read the feed from the start, without `after`, and sync \
                 what was missed some other way.",
            ),
            FeedError::Unavailable(why) => ApiError::unavailable(&why),
            FeedError::Unexpected(e) => ApiError::internal(&e),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotFound => ApiError::not_found("No such resource."),
            WebhookError::Invalid { field, message } => ApiError::invalid_field(field, message),
            WebhookError::Inactive => ApiError::conflict(
                "WEBHOOK_INACTIVE",
                "The webhook is turned off; turn it on (PATCH active=true) to send its deliveries.",
            ),
            WebhookError::VersionMismatch => ApiError::precondition_failed(),
            WebhookError::Conflict(detail) => ApiError::conflict("CONFLICT", detail),
            WebhookError::Unavailable(why) => ApiError::unavailable(&why),
            WebhookError::Unexpected(e) => ApiError::internal(e.as_ref()),
        }
    }
}

/// A port's error met outside any domain (the idempotency store): 503 when the store did not
/// answer, 500 otherwise.
impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Unavailable(why) => ApiError::unavailable(&why),
            other => ApiError::internal(&other),
        }
    }
}

/// Notes' errors.
pub(crate) fn notes(e: NoteError) -> ApiError {
    match e {
        NoteError::NotFound => ApiError::not_found("No such resource."),
        NoteError::Forbidden => ApiError::forbidden("FORBIDDEN", "Your role on this note's board does not allow this."),
        NoteError::Invalid { field, message } => ApiError::invalid_field(field, message),
        NoteError::TooLarge { max_bytes } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "NOTE_TOO_LARGE",
            format!("A note's body may hold at most {max_bytes} bytes."),
        ),
        NoteError::VersionMismatch => ApiError::precondition_failed(),
        NoteError::Conflict(detail) => ApiError::conflict("CONFLICT", detail),
        NoteError::Unavailable(why) => ApiError::unavailable(&why),
        NoteError::Unexpected(e) => ApiError::internal(e.as_ref()),
    }
}

impl From<NoteError> for ApiError {
    fn from(e: NoteError) -> Self {
        notes(e)
    }
}

/// Reminders' errors.
pub(crate) fn reminders(e: ReminderError) -> ApiError {
    match e {
        ReminderError::NotFound => ApiError::not_found("No such resource."),
        ReminderError::Invalid { field, message } => ApiError::invalid_field(field, message),
        ReminderError::VersionMismatch => ApiError::precondition_failed(),
        ReminderError::NotScheduled(status) => ApiError::conflict(
            "REMINDER_NOT_SCHEDULED",
            format!("The reminder is {status}; only a scheduled reminder can be changed this way."),
        ),
        ReminderError::Conflict(detail) => ApiError::conflict("CONFLICT", detail),
        ReminderError::Unavailable(why) => ApiError::unavailable(&why),
        ReminderError::Unexpected(e) => ApiError::internal(e.as_ref()),
    }
}

impl From<ReminderError> for ApiError {
    fn from(e: ReminderError) -> Self {
        reminders(e)
    }
}
