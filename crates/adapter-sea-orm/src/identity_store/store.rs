//! [`identity::IdentityStore`] and its unit of work on SeaORM.

use chrono::{DateTime, Utc};
use identity::{AccessToken, Email, IdentityStore, IdentityTx, LinkedIdentity, User};
use kernel::{DomainEvent, Page, PageRequest, RepoError, TokenId, UserId, Version};
use sea_orm::{DatabaseTransaction, TransactionTrait as _};

use super::queries;
use crate::Db;
use crate::error::RepoResult;
use crate::events::Advance;

/// Users and tokens in SQL.
#[derive(Debug, Clone)]
pub struct SeaIdentityStore {
    db: Db,
}

impl SeaIdentityStore {
    /// A store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// One transaction over identity's tables and the event log; rolls back when dropped.
#[derive(Debug)]
pub struct SeaIdentityTx {
    txn: DatabaseTransaction,
}

#[async_trait::async_trait]
impl IdentityStore for SeaIdentityStore {
    async fn begin(&self) -> Result<Box<dyn IdentityTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaIdentityTx { txn }))
    }

    async fn get_user(&self, id: UserId) -> Result<User, RepoError> {
        queries::get_user(self.db.reads(), id).await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        queries::find_user_by_email(self.db.reads(), email.as_str()).await
    }

    async fn find_user_by_identity(&self, issuer: &str, subject: &str) -> Result<Option<User>, RepoError> {
        queries::find_user_by_identity(self.db.reads(), issuer, subject).await
    }

    async fn list_users(&self, page: PageRequest) -> Result<Page<User>, RepoError> {
        queries::list_users(self.db.reads(), page).await
    }

    async fn find_token_by_hash(&self, secret_hash: &str) -> Result<Option<(AccessToken, User)>, RepoError> {
        queries::find_token_by_hash(self.db.reads(), secret_hash).await
    }

    async fn list_tokens(&self, user: UserId, page: PageRequest) -> Result<Page<AccessToken>, RepoError> {
        queries::list_tokens(self.db.reads(), user, page).await
    }

    async fn touch_token(&self, id: TokenId, at: DateTime<Utc>) -> Result<(), RepoError> {
        queries::touch_token(self.db.conn(), id, at).await
    }
}

#[async_trait::async_trait]
impl IdentityTx for SeaIdentityTx {
    async fn get_user(&self, id: UserId) -> Result<User, RepoError> {
        queries::get_user(&self.txn, id).await
    }

    async fn count_active_admins(&self) -> Result<u64, RepoError> {
        queries::count_active_admins(&self.txn).await
    }

    async fn insert_user(&self, user: &User) -> Result<(), RepoError> {
        queries::insert_user(&self.txn, user).await
    }

    async fn update_user(&self, user: &User, expected: Version) -> Result<(), RepoError> {
        queries::update_user(&self.txn, user, expected).await
    }

    async fn link_identity(&self, link: &LinkedIdentity) -> Result<(), RepoError> {
        queries::link_identity(&self.txn, link).await
    }

    async fn insert_token(&self, token: &AccessToken, secret_hash: &str) -> Result<(), RepoError> {
        queries::insert_token(&self.txn, token, secret_hash).await
    }

    async fn delete_token(&self, user: UserId, id: TokenId) -> Result<AccessToken, RepoError> {
        queries::delete_token(&self.txn, user, id).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, Advance::Actor).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}
