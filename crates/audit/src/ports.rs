//! What the audit domain needs from storage.

use kernel::{Page, PageRequest, RepoError};
use uuid::Uuid;

use crate::chain::Digest;
use crate::model::{AuditEvent, AuditFilter, Visibility};
use crate::seal::{EventCounts, Seal, SealedEvent, StoredSeal};

/// The stored audit log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait AuditLog: Send + Sync {
    /// Events that `visibility` allows and `filter` selects, newest first, keyset-paged by id
    /// (the cursor is the last id seen; the next page holds older events).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn list(
        &self,
        visibility: Visibility,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, RepoError>;

    /// Up to `limit` events that `filter` selects, oldest first, after the event `after`
    /// (from the start when `None`): the export reads the whole log this way.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn oldest_first(
        &self,
        filter: &AuditFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, RepoError>;
}

/// The seals over the log (decision 0045).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait AuditSeals: Send + Sync {
    /// Starts a sealing transaction. Only one runs at a time across every instance (others
    /// wait); writers of events never wait for it.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn begin_sealing(&self) -> Result<Box<dyn SealTx>, RepoError>;

    /// Up to `limit` seals numbered above `after`, in order.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn seals(&self, after: i64, limit: u64) -> Result<Vec<StoredSeal>, RepoError>;

    /// The events of seals `first..=last`, by seal and then in the order they were sealed.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn sealed_events(&self, first: i64, last: i64) -> Result<Vec<SealedEvent>, RepoError>;

    /// Removes seals `..=through` and the events they cover, in one transaction; the number
    /// of events removed.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn prune(&self, through: i64) -> Result<u64, RepoError>;

    /// Unsealed events, and events naming a seal outside `first..=last`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn event_counts(&self, first: i64, last: i64) -> Result<EventCounts, RepoError>;
}

/// One sealing, committed whole or not at all; dropping it rolls back.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait SealTx: Send + Sync {
    /// The newest seal, if any.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn head(&self) -> Result<Option<StoredSeal>, RepoError>;

    /// Up to `limit` unsealed events, in the order they were written.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn unsealed(&self, limit: u64) -> Result<Vec<AuditEvent>, RepoError>;

    /// Writes `seal` and marks `events` (id and digest, in the seal's order) as sealed by it.
    ///
    /// # Errors
    /// `RepoError::Conflict` when an event was sealed meanwhile or the seal's number is taken.
    async fn seal(&self, seal: &Seal, events: &[(Uuid, Digest)]) -> Result<(), RepoError>;

    /// Commits.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}
