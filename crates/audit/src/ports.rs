//! What the audit domain needs from storage.

use kernel::{Page, PageRequest, RepoError};

use crate::model::{AuditEvent, AuditFilter, Visibility};

/// The stored audit log, read newest first.
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
}
