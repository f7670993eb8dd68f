//! An in-app notification: what a user is told when one of their reminders fires.

use chrono::{DateTime, Utc};
use kernel::{NotificationId, ReminderId, UserId};

/// One entry of a user's notifications feed. Only its owner ever sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// UUIDv7, so the feed pages by id in creation order.
    pub id: NotificationId,
    /// Whose feed it is in.
    pub user_id: UserId,
    /// The reminder that fired, if it came from one (it may have been deleted since).
    pub reminder_id: Option<ReminderId>,
    /// The reminder's title when it fired.
    pub title: String,
    /// The reminder's body when it fired (may be empty).
    pub body: String,
    /// When the occurrence was due.
    pub due_at: DateTime<Utc>,
    /// Whether it fired late (downtime, or created in the past).
    pub late: bool,
    /// When its owner marked it read; `None` while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was created (the firing time).
    pub created_at: DateTime<Utc>,
}
