//! Sign-ins in flight at a provider, in SQL: every mode has the database, and an attempt must
//! be visible to whichever instance the browser returns to.

use identity::{PendingSsoLogin, SessionKey, SsoLoginStore};
use kernel::{Clock, RepoError};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel as _, QueryFilter};
use std::sync::Arc;

use crate::Db;
use crate::entity::sso_login;
use crate::error::RepoResult;

/// Attempts in the `sso_logins` table, keyed by the digest of the browser's secret.
#[derive(Clone)]
pub struct SeaSsoLoginStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SeaSsoLoginStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaSsoLoginStore").finish_non_exhaustive()
    }
}

impl SeaSsoLoginStore {
    /// A store on `db`; `clock` decides which abandoned attempts are swept.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

#[async_trait::async_trait]
impl SsoLoginStore for SeaSsoLoginStore {
    async fn put(&self, key: &SessionKey, p: &PendingSsoLogin) -> Result<(), RepoError> {
        // Each new attempt sweeps the abandoned ones, so the table stays small.
        sso_login::Entity::delete_many()
            .filter(sso_login::Column::ExpiresAt.lte(self.clock.now()))
            .exec(self.db.conn())
            .await
            .repo()?;
        let row = sso_login::Model {
            key: key.as_str().to_owned(),
            provider: p.provider.clone(),
            state: p.state.clone(),
            nonce: p.nonce.clone(),
            pkce_verifier: p.pkce_verifier.clone(),
            created_at: p.created_at,
            expires_at: p.expires_at,
        };
        sso_login::Entity::insert(row.into_active_model()).exec_without_returning(self.db.conn()).await.repo()?;
        Ok(())
    }

    async fn take(&self, key: &SessionKey) -> Result<Option<PendingSsoLogin>, RepoError> {
        let Some(row) = sso_login::Entity::find_by_id(key.as_str()).one(self.db.conn()).await.repo()? else {
            return Ok(None);
        };
        // Whoever deletes the row owns the attempt: of two concurrent callbacks one deletes
        // nothing and is refused.
        let deleted = sso_login::Entity::delete_by_id(key.as_str()).exec(self.db.conn()).await.repo()?;
        if deleted.rows_affected != 1 {
            return Ok(None);
        }
        Ok(Some(PendingSsoLogin {
            provider: row.provider,
            state: row.state,
            nonce: row.nonce,
            pkce_verifier: row.pkce_verifier,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }))
    }
}
