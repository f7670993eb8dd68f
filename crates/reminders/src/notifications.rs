//! The notifications feed use cases. A notification is its owner's alone: anyone else gets
//! [`ReminderError::NotFound`], administrators included.

use std::sync::Arc;

use kernel::{Caller, Clock, NotificationId, Page, PageRequest};

use crate::error::ReminderError;
use crate::model::Notification;
use crate::ports::NotificationStore;

/// The caller's notifications: list, unread count, mark read, mark all read.
pub struct NotificationService {
    store: Arc<dyn NotificationStore>,
    clock: Arc<dyn Clock>,
}

impl NotificationService {
    /// Builds the service on its ports.
    pub fn new(store: Arc<dyn NotificationStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The caller's notifications by id (oldest first); `unread` filters on being unread.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn list(
        &self,
        caller: &Caller,
        unread: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Notification>, ReminderError> {
        Ok(self.store.notifications(caller.user_id, unread, page).await?)
    }

    /// How many of the caller's notifications are unread.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn unread_count(&self, caller: &Caller) -> Result<u64, ReminderError> {
        Ok(self.store.unread_count(caller.user_id).await?)
    }

    /// Marks one of the caller's notifications read (again: no change).
    #[tracing::instrument(skip_all, fields(%id), err(level = "debug"))]
    pub async fn mark_read(&self, caller: &Caller, id: NotificationId) -> Result<Notification, ReminderError> {
        Ok(self.store.mark_read(caller.user_id, id, self.clock.now()).await?)
    }

    /// Marks all of the caller's notifications read; returns how many were unread.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn mark_all_read(&self, caller: &Caller) -> Result<u64, ReminderError> {
        Ok(self.store.mark_all_read(caller.user_id, self.clock.now()).await?)
    }
}

impl std::fmt::Debug for NotificationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationService").finish_non_exhaustive()
    }
}
