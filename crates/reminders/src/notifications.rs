//! The notifications feed use cases. A notification is its owner's alone: anyone else gets
//! [`ReminderError::NotFound`], administrators included.
//!
//! Marking read is a mutation like any other: the change and its domain event
//! (`notification.read`, `notification.read_all`) commit together in one [`NotificationTx`].
//! A call that changes nothing (already read, nothing unread) records nothing and commits
//! nothing.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use kernel::{Caller, Changes, Clock, DomainEvent, IdGen, NotificationId, Page, PageRequest, UuidV7};
use uuid::Uuid;

use crate::error::ReminderError;
use crate::model::Notification;
use crate::ports::{NotificationStore, NotificationTx};

/// The caller's notifications: list, unread count, mark read, mark all read.
pub struct NotificationService {
    store: Arc<dyn NotificationStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
}

impl NotificationService {
    /// Builds the service on its ports; event ids are UUIDv7 (see [`Self::with_ids`]).
    pub fn new(store: Arc<dyn NotificationStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock, ids: Arc::new(UuidV7) }
    }

    /// The same service, taking its event ids from `ids`.
    #[must_use]
    pub fn with_ids(self, ids: Arc<dyn IdGen>) -> Self {
        Self { ids, ..self }
    }

    /// The caller's notifications by id (oldest first); `unread` filters on being unread.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn list(
        &self,
        caller: &Caller,
        unread: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Notification>, ReminderError> {
        Ok(self.store.notifications(caller.user_id, unread, page).await?)
    }

    /// How many of the caller's notifications are unread.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn unread_count(&self, caller: &Caller) -> Result<u64, ReminderError> {
        Ok(self.store.unread_count(caller.user_id).await?)
    }

    /// Marks one of the caller's notifications read (again: no change).
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%id), err(level = "debug"))]
    pub async fn mark_read(&self, caller: &Caller, id: NotificationId) -> Result<Notification, ReminderError> {
        let tx = self.store.begin_notifications().await?;
        let (notification, was_unread) = tx.mark_read(caller.user_id, id, self.clock.now()).await?;
        if was_unread {
            let changes =
                Changes::new().diff("read_at", Option::<String>::None, notification.read_at.map(|t| t.to_rfc3339()));
            self.finish(tx, caller, "notification.read", id.as_uuid(), changes).await?;
        }
        Ok(notification)
    }

    /// Marks all of the caller's notifications read; returns how many were unread.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn mark_all_read(&self, caller: &Caller) -> Result<u64, ReminderError> {
        let tx = self.store.begin_notifications().await?;
        let count = tx.mark_all_read(caller.user_id, self.clock.now()).await?;
        if count > 0 {
            let changes = Changes::new().set("count", count);
            self.finish(tx, caller, "notification.read_all", caller.user_id.as_uuid(), changes).await?;
        }
        Ok(count)
    }

    /// Records the change's event and commits the unit of work.
    async fn finish(
        &self,
        tx: Box<dyn NotificationTx>,
        caller: &Caller,
        action: &'static str,
        resource_id: Uuid,
        changes: Changes,
    ) -> Result<(), ReminderError> {
        let event = DomainEvent {
            id: self.ids.new_id(),
            occurred_at: self.clock.now(),
            actor: caller.actor,
            action,
            resource_type: "notification",
            resource_id,
            board_id: None,
            changes,
            meta: caller.meta.clone(),
        };
        tx.record(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl std::fmt::Debug for NotificationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationService").finish_non_exhaustive()
    }
}
