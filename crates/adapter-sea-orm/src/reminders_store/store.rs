//! [`reminders::ReminderStore`], [`reminders::ReminderTx`] and [`reminders::TargetAccess`] on
//! SeaORM: thin delegations to the query functions, which serve the pool and the transaction
//! alike.

use chrono::{DateTime, Utc};
use kernel::{DomainEvent, NotificationId, Page, PageRequest, ReminderId, RepoError, UserId, Version};
use reminders::scheduler::Occurrence;
use reminders::{
    Claim, FiringStore, FiringTx, Notification, NotificationStore, NotificationTx, Reminder, ReminderFilter,
    ReminderStore, ReminderTx, Target, TargetAccess,
};
use sea_orm::{DatabaseTransaction, TransactionTrait as _};

use super::{firing, queries};
use crate::Db;
use crate::error::RepoResult;
use crate::events::Advance;

/// Reminders in SQL. Also answers [`TargetAccess`] from the board and note tables.
#[derive(Debug, Clone)]
pub struct SeaReminderStore {
    db: Db,
}

impl SeaReminderStore {
    /// A store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// One transaction over the reminders table and the event log; rolls back when dropped.
#[derive(Debug)]
pub struct SeaReminderTx {
    txn: DatabaseTransaction,
}

#[async_trait::async_trait]
impl ReminderStore for SeaReminderStore {
    async fn begin(&self) -> Result<Box<dyn ReminderTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaReminderTx { txn }))
    }

    async fn get(&self, id: ReminderId) -> Result<Reminder, RepoError> {
        queries::get(self.db.reads(), id, false).await
    }

    async fn list_by_owner(
        &self,
        owner: UserId,
        filter: ReminderFilter,
        page: PageRequest,
    ) -> Result<Page<Reminder>, RepoError> {
        queries::list_by_owner(self.db.reads(), owner, filter, page).await
    }

    async fn next_for_owner(&self, owner: UserId, limit: u32) -> Result<Vec<Reminder>, RepoError> {
        queries::next_for_owner(self.db.reads(), owner, limit).await
    }
}

#[async_trait::async_trait]
impl TargetAccess for SeaReminderStore {
    async fn can_see(&self, user: UserId, target: Target) -> Result<bool, RepoError> {
        queries::can_see(self.db.reads(), user, target).await
    }
}

#[async_trait::async_trait]
impl ReminderTx for SeaReminderTx {
    async fn get(&self, id: ReminderId) -> Result<Reminder, RepoError> {
        queries::get(&self.txn, id, true).await
    }

    async fn insert(&self, reminder: &Reminder) -> Result<(), RepoError> {
        queries::insert(&self.txn, reminder).await
    }

    async fn update(&self, reminder: &Reminder, expected: Version) -> Result<(), RepoError> {
        queries::update(&self.txn, reminder, expected).await
    }

    async fn delete(&self, id: ReminderId, expected: Version) -> Result<(), RepoError> {
        queries::delete(&self.txn, id, expected).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, Advance::Actor).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}

#[async_trait::async_trait]
impl FiringStore for SeaReminderStore {
    async fn begin_firing(&self) -> Result<Box<dyn FiringTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaReminderTx { txn }))
    }
}

#[async_trait::async_trait]
impl FiringTx for SeaReminderTx {
    async fn claim_due(&self, now: DateTime<Utc>, limit: u64) -> Result<Claim, RepoError> {
        firing::claim_due(&self.txn, now, limit).await
    }

    async fn park(&self, reminder: ReminderId) -> Result<(), RepoError> {
        firing::park(&self.txn, reminder).await
    }

    async fn insert_occurrence(&self, occurrence: &Occurrence, fired_at: DateTime<Utc>) -> Result<bool, RepoError> {
        firing::insert_occurrence(&self.txn, occurrence, fired_at).await
    }

    async fn insert_notification(&self, notification: &Notification) -> Result<(), RepoError> {
        firing::insert_notification(&self.txn, notification).await
    }

    async fn update(&self, reminder: &Reminder, expected: Version) -> Result<(), RepoError> {
        queries::update(&self.txn, reminder, expected).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, Advance::Actor).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}

#[async_trait::async_trait]
impl NotificationStore for SeaReminderStore {
    async fn notifications(
        &self,
        owner: UserId,
        unread: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Notification>, RepoError> {
        firing::notifications(self.db.reads(), owner, unread, page).await
    }

    async fn unread_count(&self, owner: UserId) -> Result<u64, RepoError> {
        firing::unread_count(self.db.reads(), owner).await
    }

    async fn begin_notifications(&self) -> Result<Box<dyn NotificationTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaReminderTx { txn }))
    }
}

#[async_trait::async_trait]
impl NotificationTx for SeaReminderTx {
    async fn mark_read(
        &self,
        owner: UserId,
        id: NotificationId,
        at: DateTime<Utc>,
    ) -> Result<(Notification, bool), RepoError> {
        firing::mark_read(&self.txn, owner, id, at).await
    }

    async fn mark_all_read(&self, owner: UserId, at: DateTime<Utc>) -> Result<u64, RepoError> {
        firing::mark_all_read(&self.txn, owner, at).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, Advance::Actor).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}
