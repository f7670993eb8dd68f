//! What the dashboard needs from the rest of the system: the other domains' data (through
//! their own services, wired by the application), the stamp that tells whether a kept
//! dashboard is still exact, and a cache shared by every instance.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kernel::{Caller, RepoError, UserId};

use crate::model::{
    Activity, BoardSummary, CardBrief, ColumnCards, NoteBrief, NotificationSummary, ReminderBrief, Rendered, Stamp,
};

/// How many items of each kind a dashboard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Recently changed boards.
    pub recent_boards: u32,
    /// Columns holding the user's cards.
    pub columns: u32,
    /// Cards listed per column (all are counted).
    pub cards_per_column: u32,
    /// Overdue cards, and again cards due soon.
    pub due_cards: u32,
    /// Next reminders.
    pub reminders: u32,
    /// Pinned notes, and again recent notes.
    pub notes: u32,
    /// Newest unread notifications.
    pub notifications: u32,
    /// Newest events.
    pub activity: u32,
}

/// What the dashboard shows of the user's boards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardsPart {
    /// How many boards, and the recently changed ones.
    pub summary: BoardSummary,
    /// The user's open cards by column.
    pub my_cards: Vec<ColumnCards>,
    /// Open cards past their due time.
    pub overdue: Vec<CardBrief>,
    /// Open cards due from now until the horizon.
    pub due_soon: Vec<CardBrief>,
}

/// The other domains' data, read as `caller` may see it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait Sources: Send + Sync {
    /// The caller's boards; cards due between `now` and `due_until` are due soon.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer; `Unexpected` otherwise.
    async fn boards(
        &self,
        caller: &Caller,
        now: DateTime<Utc>,
        due_until: DateTime<Utc>,
        limits: Limits,
    ) -> Result<BoardsPart, RepoError>;

    /// The caller's next scheduled reminders, soonest first.
    ///
    /// # Errors
    /// As [`Sources::boards`].
    async fn reminders(&self, caller: &Caller, limit: u32) -> Result<Vec<ReminderBrief>, RepoError>;

    /// Notes the caller can see: `(pinned, newest)`, newest first, open ones only.
    ///
    /// # Errors
    /// As [`Sources::boards`].
    async fn notes(&self, caller: &Caller, limit: u32) -> Result<(Vec<NoteBrief>, Vec<NoteBrief>), RepoError>;

    /// The caller's unread notifications.
    ///
    /// # Errors
    /// As [`Sources::boards`].
    async fn notifications(&self, caller: &Caller, limit: u32) -> Result<NotificationSummary, RepoError>;

    /// The newest events on the caller's boards and of their own doing.
    ///
    /// # Errors
    /// As [`Sources::boards`].
    async fn activity(&self, caller: &Caller, limit: u32) -> Result<Vec<Activity>, RepoError>;
}

/// Where the stamps come from.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait Stamps: Send + Sync {
    /// The user's stamp now (one read).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer; `Unexpected` otherwise.
    async fn stamp(&self, user: UserId) -> Result<Stamp, RepoError>;
}

/// Rendered dashboards kept per user for a while (Redis, or the process's memory).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait DashboardCache: Send + Sync {
    /// The user's kept dashboard, unless it has expired or was never kept.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the cache does not answer; `Unexpected` for an entry that
    /// cannot be read back.
    async fn get(&self, user: UserId) -> Result<Option<Rendered>, RepoError>;

    /// Keeps `rendered` as the user's dashboard for `ttl`, replacing any kept one.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the cache does not answer.
    async fn put(&self, user: UserId, rendered: &Rendered, ttl: Duration) -> Result<(), RepoError>;
}
