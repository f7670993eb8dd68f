//! What the reminders domain needs from the outside world.
//!
//! [`ReminderStore`] is the pool: reads for the GET use cases, and [`ReminderStore::begin`] to
//! open a [`ReminderTx`], the unit of work every write goes through (the change and its domain
//! event commit together or not at all). [`TargetAccess`] answers whether a user may see a card
//! or a note, without reminders depending on board or notes. [`FiringStore`] and [`FiringTx`]
//! are the scheduler's units of work; [`NotificationStore`] holds users' notification feeds, and
//! [`NotificationTx`] is the unit of work that marks them read.

use chrono::{DateTime, Utc};
use kernel::{DomainEvent, NotificationId, Page, PageRequest, ReminderId, RepoError, UserId, Version};

use crate::model::{Notification, Reminder, ReminderFilter, Target};
use crate::scheduler::Occurrence;

/// Where reminders live: reads, and the start of units of work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait ReminderStore: Send + Sync {
    /// Opens a unit of work. Dropping it without [`ReminderTx::commit`] rolls everything back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin(&self) -> Result<Box<dyn ReminderTx>, RepoError>;

    /// One reminder, whoever owns it (the service checks ownership).
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such reminder.
    async fn get(&self, id: ReminderId) -> Result<Reminder, RepoError>;

    /// `owner`'s reminders matching `filter`, by id (the cursor is a reminder id).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list_by_owner(
        &self,
        owner: UserId,
        filter: ReminderFilter,
        page: PageRequest,
    ) -> Result<Page<Reminder>, RepoError>;

    /// `owner`'s scheduled reminders that fire next, soonest first (then by id); at most `limit`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn next_for_owner(&self, owner: UserId, limit: u32) -> Result<Vec<Reminder>, RepoError>;
}

/// A unit of work on reminders, bound to one open transaction. Every write of a use case goes
/// through it, followed by exactly one [`ReminderTx::record`] and one [`ReminderTx::commit`].
///
/// Versioned writes apply only when the stored version still equals `expected`; otherwise they
/// fail with `RepoError::Conflict` and change nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait ReminderTx: Send + Sync {
    /// One reminder, locked against concurrent writers (the scheduler included) until the end
    /// of the unit of work where the store supports row locks.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such reminder.
    async fn get(&self, id: ReminderId) -> Result<Reminder, RepoError>;

    /// Stores a new reminder.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the id is taken.
    async fn insert(&self, reminder: &Reminder) -> Result<(), RepoError>;

    /// Overwrites a reminder's fields.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`; `NotFound` when gone.
    async fn update(&self, reminder: &Reminder, expected: Version) -> Result<(), RepoError>;

    /// Deletes a reminder.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`; `NotFound` when gone.
    async fn delete(&self, id: ReminderId, expected: Version) -> Result<(), RepoError>;

    /// Appends the change's domain event (audit record and outbox row) in this transaction.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`; the unit of work must then be abandoned.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Makes every write of the unit of work durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the store refused the transaction (a serialisation failure);
    /// `Unavailable` when the connection was lost (the outcome is then unknown).
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Who may see what a reminder points at. The application wires the board and notes stores
/// into it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait TargetAccess: Send + Sync {
    /// Whether `user` may see `target` (a card of a board they are a member of, a note they can
    /// read). `false` also when the target does not exist.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn can_see(&self, user: UserId, target: Target) -> Result<bool, RepoError>;
}

/// Where the scheduler fires from: units of work that claim due reminders.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait FiringStore: Send + Sync {
    /// Opens a firing unit of work. Dropping it without [`FiringTx::commit`] rolls it back,
    /// occurrence records included, so the occurrences fire again later.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin_firing(&self) -> Result<Box<dyn FiringTx>, RepoError>;
}

/// What [`FiringTx::claim_due`] claimed.
#[derive(Debug, Default)]
pub struct Claim {
    /// The due reminders, earliest first.
    pub due: Vec<Reminder>,
    /// Due rows the store could not read (edited by hand, or a time zone the running build no
    /// longer knows), each with the reason.
    pub unreadable: Vec<(ReminderId, String)>,
}

/// One firing unit of work: claim, record occurrences, notify, move reminders on, commit.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait FiringTx: Send + Sync {
    /// Up to `limit` scheduled reminders with `next_fire_at <= now`, earliest first, locked
    /// until the end of the unit of work. Rows another unit of work holds are skipped where the
    /// store supports it (PostgreSQL `SKIP LOCKED`); elsewhere the transaction is the only
    /// writer already (SQLite). A claimed row that does not parse is reported in
    /// [`Claim::unreadable`], not as an error, so that one bad row cannot stop every tick.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> Result<Claim, RepoError>;

    /// Takes a reminder out of the queue without reading it: clears its `next_fire_at`. Setting
    /// it again (once the row is fixed) puts the reminder back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn park(&self, reminder: ReminderId) -> Result<(), RepoError>;

    /// Records that `occurrence` fired at `fired_at`. `false` when it was recorded before (it
    /// already fired): the caller must then not notify again.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn insert_occurrence(&self, occurrence: &Occurrence, fired_at: DateTime<Utc>) -> Result<bool, RepoError>;

    /// Adds a notification to its user's feed.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn insert_notification(&self, notification: &Notification) -> Result<(), RepoError>;

    /// Overwrites a reminder's fields, as [`ReminderTx::update`] does.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`; `NotFound` when gone.
    async fn update(&self, reminder: &Reminder, expected: Version) -> Result<(), RepoError>;

    /// Appends a domain event (audit record and outbox row) in this transaction.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Makes every write of the unit of work durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` or `Unavailable` (the outcome is then unknown).
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Users' notification feeds.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {
    /// `owner`'s notifications by id (the cursor is a notification id); `unread` keeps only
    /// unread (`Some(true)`) or read (`Some(false)`) ones.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn notifications(
        &self,
        owner: UserId,
        unread: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Notification>, RepoError>;

    /// How many of `owner`'s notifications are unread.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn unread_count(&self, owner: UserId) -> Result<u64, RepoError>;

    /// Opens a unit of work on the feed. Dropping it without [`NotificationTx::commit`] rolls
    /// everything back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin_notifications(&self) -> Result<Box<dyn NotificationTx>, RepoError>;
}

/// A unit of work on a notification feed, bound to one open transaction: the change, then
/// exactly one [`NotificationTx::record`] and one [`NotificationTx::commit`] when something
/// changed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait NotificationTx: Send + Sync {
    /// Marks `owner`'s notification `id` read at `at` (a read one keeps its first `read_at`)
    /// and returns it, with whether this call changed it (`false`: it was read already).
    ///
    /// # Errors
    /// `RepoError::NotFound` when `owner` has no such notification.
    async fn mark_read(
        &self,
        owner: UserId,
        id: NotificationId,
        at: DateTime<Utc>,
    ) -> Result<(Notification, bool), RepoError>;

    /// Marks every unread notification of `owner` read at `at`; returns how many changed.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn mark_all_read(&self, owner: UserId, at: DateTime<Utc>) -> Result<u64, RepoError>;

    /// Appends the change's domain event (audit record and outbox row) in this transaction.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`; the unit of work must then be abandoned.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Makes every write of the unit of work durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` or `Unavailable` (the outcome is then unknown).
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}
