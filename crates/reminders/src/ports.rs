//! What the reminders domain needs from the outside world.
//!
//! [`ReminderStore`] is the pool: reads for the GET use cases, and [`ReminderStore::begin`] to
//! open a [`ReminderTx`], the unit of work every write goes through (the change and its domain
//! event commit together or not at all). [`TargetAccess`] answers whether a user may see a card
//! or a note, without reminders depending on board or notes.

use kernel::{DomainEvent, Page, PageRequest, ReminderId, RepoError, UserId, Version};

use crate::model::{Reminder, ReminderFilter, Target};

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
