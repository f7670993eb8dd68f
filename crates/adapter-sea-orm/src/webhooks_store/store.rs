//! [`WebhookStore`] and [`WebhookTx`] on SeaORM.

use chrono::{DateTime, Utc};
use connector::webhooks::{Attempt, Delivery, Webhook, WebhookStore, WebhookTx};
use kernel::{DeliveryId, DomainEvent, Page, PageRequest, RepoError, UserId, Version, WebhookId};
use sea_orm::ActiveValue::NotSet;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DatabaseTransaction, EntityTrait as _,
    IntoActiveModel as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, TransactionTrait as _,
};

use super::convert::{attempt_from_row, delivery_from_row, webhook_from_row, webhook_to_row};
use crate::Db;
use crate::entity::{webhook, webhook_attempt, webhook_delivery};
use crate::error::RepoResult as _;
use crate::events::Advance;
use crate::sql::versioned;

/// Subscriptions in SQL.
#[derive(Debug, Clone)]
pub struct SeaWebhookStore {
    db: Db,
}

impl SeaWebhookStore {
    /// A store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// One transaction over the webhook tables and the event log; rolls back when dropped.
#[derive(Debug)]
struct SeaWebhookTx {
    txn: DatabaseTransaction,
}

pub(super) async fn delivery<C: ConnectionTrait>(
    conn: &C,
    webhook: WebhookId,
    id: DeliveryId,
) -> Result<Delivery, RepoError> {
    let row = webhook_delivery::Entity::find_by_id(id.as_uuid())
        .filter(webhook_delivery::Column::WebhookId.eq(webhook.as_uuid()))
        .one(conn)
        .await
        .repo()?
        .ok_or(RepoError::NotFound)?;
    delivery_from_row(row)
}

#[async_trait::async_trait]
impl WebhookStore for SeaWebhookStore {
    async fn get(&self, id: WebhookId) -> Result<Webhook, RepoError> {
        let row = webhook::Entity::find_by_id(id.as_uuid()).one(self.db.reads()).await.repo()?;
        webhook_from_row(row.ok_or(RepoError::NotFound)?)
    }

    async fn list(&self, owner: UserId, page: PageRequest) -> Result<Page<Webhook>, RepoError> {
        let mut query = webhook::Entity::find()
            .filter(webhook::Column::OwnerId.eq(owner.as_uuid()))
            .order_by_asc(webhook::Column::Id)
            .limit(page.fetch_limit());
        if let Some(after) = page.after() {
            query = query.filter(webhook::Column::Id.gt(after));
        }
        let rows = query.all(self.db.reads()).await.repo()?;
        let items = rows.into_iter().map(webhook_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page, |w| w.id.as_uuid()))
    }

    async fn delivery(&self, webhook: WebhookId, id: DeliveryId) -> Result<Delivery, RepoError> {
        delivery(self.db.reads(), webhook, id).await
    }

    async fn deliveries(&self, webhook: WebhookId, page: PageRequest) -> Result<Page<Delivery>, RepoError> {
        let mut query = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(webhook.as_uuid()))
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(page.fetch_limit());
        if let Some(before) = page.after() {
            query = query.filter(webhook_delivery::Column::Id.lt(before));
        }
        let rows = query.all(self.db.reads()).await.repo()?;
        let items = rows.into_iter().map(delivery_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page, |d| d.id.as_uuid()))
    }

    async fn attempts(&self, delivery: DeliveryId, page: PageRequest) -> Result<Page<Attempt>, RepoError> {
        let mut query = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.eq(delivery.as_uuid()))
            .order_by_asc(webhook_attempt::Column::Id)
            .limit(page.fetch_limit());
        if let Some(after) = page.after() {
            query = query.filter(webhook_attempt::Column::Id.gt(after));
        }
        let rows = query.all(self.db.reads()).await.repo()?;
        let items = rows.into_iter().map(attempt_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, page, |a| a.id))
    }

    async fn begin(&self) -> Result<Box<dyn WebhookTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaWebhookTx { txn }))
    }
}

#[async_trait::async_trait]
impl WebhookTx for SeaWebhookTx {
    async fn insert(&self, webhook: &Webhook) -> Result<(), RepoError> {
        webhook::Entity::insert(webhook_to_row(webhook).into_active_model())
            .exec_without_returning(&self.txn)
            .await
            .repo()?;
        Ok(())
    }

    async fn update(&self, webhook: &Webhook, expected: Version) -> Result<(), RepoError> {
        let mut row = webhook_to_row(webhook).into_active_model().reset_all();
        row.id = NotSet;
        row.owner_id = NotSet;
        row.created_at = NotSet;
        let result = webhook::Entity::update_many()
            .set(row)
            .filter(webhook::Column::Id.eq(webhook.id.as_uuid()))
            .filter(webhook::Column::Version.eq(expected.get()))
            .exec(&self.txn)
            .await
            .repo()?;
        versioned::<webhook::Entity, _>(&self.txn, result.rows_affected, webhook.id.as_uuid()).await
    }

    async fn delete(&self, id: WebhookId, expected: Version) -> Result<(), RepoError> {
        let result = webhook::Entity::delete_many()
            .filter(webhook::Column::Id.eq(id.as_uuid()))
            .filter(webhook::Column::Version.eq(expected.get()))
            .exec(&self.txn)
            .await
            .repo()?;
        versioned::<webhook::Entity, _>(&self.txn, result.rows_affected, id.as_uuid()).await
    }

    async fn requeue(&self, webhook: WebhookId, id: DeliveryId, now: DateTime<Utc>) -> Result<Delivery, RepoError> {
        use webhook_delivery::Column as C;
        let result = webhook_delivery::Entity::update_many()
            .col_expr(C::Status, Expr::value("pending"))
            .col_expr(C::NextAttemptAt, Expr::value(now))
            .col_expr(C::RoundStartedAt, Expr::value(now))
            .filter(C::Id.eq(id.as_uuid()))
            .filter(C::WebhookId.eq(webhook.as_uuid()))
            .exec(&self.txn)
            .await
            .repo()?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        delivery(&self.txn, webhook, id).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, Advance::Actor).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}
