//! The caller's in-app notifications (one per fired reminder occurrence): the feed with its
//! unread count, mark one read, mark all read. A notification is its owner's alone: anyone
//! else's is a 404.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use identity::Scope;
use kernel::NotificationId;
use reminders::Notification;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::openapi::{Forbidden, NotFound};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_notification_read))
        .routes(routes!(mark_all_notifications_read))
}

/// Which notifications to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct NotificationFilters {
    /// `true`: unread ones only; `false`: read ones only; absent: all.
    #[garde(skip)]
    unread: Option<bool>,
}

/// A notification: a reminder of the caller's fired.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotificationOut {
    id: Uuid,
    /// The reminder that fired (it may have been deleted since).
    reminder_id: Option<Uuid>,
    /// The reminder's title when it fired.
    title: String,
    /// The reminder's body when it fired; may be empty.
    body: String,
    /// When the occurrence was due.
    due_at: DateTime<Utc>,
    /// Whether it fired late (the server was down, or the reminder was set in the past).
    late: bool,
    /// When the caller marked it read; `null` while unread.
    read_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id.as_uuid(),
            reminder_id: n.reminder_id.map(|r| r.as_uuid()),
            title: n.title,
            body: n.body,
            due_at: n.due_at,
            late: n.late,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// One page of the caller's notifications, with how many are unread in all.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotificationsPage {
    /// The notifications, oldest first.
    items: Vec<NotificationOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    next_cursor: Option<String>,
    /// How many of the caller's notifications are unread (whatever the filter).
    #[schema(minimum = 0)]
    unread_count: u64,
}

/// The caller's notifications, oldest first, and the unread count.
#[utoipa::path(get, path = "/notifications", tag = "notifications",
    params(NotificationFilters, PageParams),
    security(("session" = []), ("bearer" = ["reminders:read"])),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationsPage),
        (status = 403, response = Forbidden)))]
async fn list_notifications(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(filters): ApiQuery<NotificationFilters>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<NotificationsPage>, ApiError> {
    let caller = auth.require(Scope::RemindersRead)?;
    let listed = s.notifications.list(caller, filters.unread, page.page()?).await?;
    let unread_count = s.notifications.unread_count(caller).await?;
    let Paged { items, next_cursor } = Paged::from_page(listed, NotificationOut::from);
    Ok(axum::Json(NotificationsPage { items, next_cursor, unread_count }))
}

/// Mark one of the caller's notifications read (one already read keeps its `read_at`).
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications",
    params(("id" = Uuid, Path, description = "The notification's id")),
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 200, description = "Read", body = NotificationOut),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn mark_notification_read(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<axum::Json<NotificationOut>, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    let notification = s.notifications.mark_read(caller, NotificationId::from_uuid(id)).await?;
    Ok(axum::Json(notification.into()))
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications",
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 204, description = "All read"),
        (status = 403, response = Forbidden)))]
async fn mark_all_notifications_read(State(s): State<AppState>, auth: Auth) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    s.notifications.mark_all_read(caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
