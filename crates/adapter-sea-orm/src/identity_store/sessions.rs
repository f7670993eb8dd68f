//! The SQL session store: sessions survive restarts of the embedded server.

use identity::{Session, SessionKey, SessionStore};
use kernel::{Clock, RepoError, SessionId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, IntoActiveModel as _, QueryFilter, QueryOrder};
use std::sync::Arc;

use super::convert::{session_from_row, session_to_row};
use crate::Db;
use crate::entity::session;
use crate::error::RepoResult;

/// Sessions in the `sessions` table, keyed by the digest of the cookie secret.
#[derive(Clone)]
pub struct SeaSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SeaSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeaSessionStore").finish_non_exhaustive()
    }
}

impl SeaSessionStore {
    /// A store on `db`; `clock` decides which sessions are expired and may be pruned.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

#[async_trait::async_trait]
impl SessionStore for SeaSessionStore {
    async fn create(&self, key: &SessionKey, s: &Session) -> Result<(), RepoError> {
        // Each sign-in prunes the user's ended sessions, so the table does not grow forever.
        let now = self.clock.now();
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(s.user_id.as_uuid()))
            .filter(
                Condition::any()
                    .add(session::Column::IdleExpiresAt.lte(now))
                    .add(session::Column::AbsoluteExpiresAt.lte(now)),
            )
            .exec(self.db.conn())
            .await
            .repo()?;
        session::Entity::insert(session_to_row(key.as_str(), s).into_active_model())
            .exec_without_returning(self.db.conn())
            .await
            .repo()?;
        Ok(())
    }

    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, RepoError> {
        Ok(session::Entity::find_by_id(key.as_str()).one(self.db.reads()).await.repo()?.map(session_from_row))
    }

    async fn touch(&self, key: &SessionKey, s: &Session) -> Result<(), RepoError> {
        let result = session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(s.last_seen_at))
            .col_expr(session::Column::IdleExpiresAt, Expr::value(s.idle_expires_at))
            .filter(session::Column::Key.eq(key.as_str()))
            .exec(self.db.conn())
            .await
            .repo()?;
        if result.rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) }
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), RepoError> {
        session::Entity::delete_by_id(key.as_str()).exec(self.db.conn()).await.repo()?;
        Ok(())
    }

    async fn list_for_user(&self, user: UserId) -> Result<Vec<Session>, RepoError> {
        let rows = session::Entity::find()
            .filter(session::Column::UserId.eq(user.as_uuid()))
            .order_by_desc(session::Column::Id)
            .all(self.db.reads())
            .await
            .repo()?;
        Ok(rows.into_iter().map(session_from_row).collect())
    }

    async fn delete_by_id(&self, user: UserId, id: SessionId) -> Result<(), RepoError> {
        let result = session::Entity::delete_many()
            .filter(session::Column::UserId.eq(user.as_uuid()))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .exec(self.db.conn())
            .await
            .repo()?;
        if result.rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) }
    }

    async fn delete_all_for_user(&self, user: UserId) -> Result<(), RepoError> {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(user.as_uuid()))
            .exec(self.db.conn())
            .await
            .repo()?;
        Ok(())
    }
}
