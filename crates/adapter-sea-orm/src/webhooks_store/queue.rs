//! [`DeliveryQueue`] and [`RelayTx`] on SeaORM: the outbox's fan-out, and the queue of
//! attempts.
//!
//! Fan-out deletes the oldest outbox rows and inserts their deliveries in one transaction; on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` lets relays on several instances take disjoint batches,
//! and a transaction that commits late only makes its events visible late: they are taken by
//! the next fan-out, never skipped. A claim is one `UPDATE … RETURNING` that moves each due
//! delivery's next attempt to the end of a lease, so a claimed delivery is no longer due for
//! anyone else, and comes due again if its worker dies.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use connector::webhooks::{
    AfterAttempt, DeliveryQueue, DueDelivery, FinishedAttempt, NewDelivery, OutboxEvent, RelayTx, Subscriber,
};
use kernel::{BoardId, RepoError, UserId, WebhookId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseBackend, DatabaseTransaction, EntityTrait as _, FromQueryResult,
    IntoActiveModel as _, QueryFilter as _, Statement, TransactionTrait as _, Value,
};
use uuid::Uuid;

use super::convert::{attempt_to_row, delivery_from_row, event_types, secret};
use crate::Db;
use crate::entity::{board_member, user, webhook, webhook_attempt, webhook_delivery};
use crate::error::RepoResult as _;
use crate::events::Advance;

/// The delivery queue in SQL.
#[derive(Debug, Clone)]
pub struct SeaDeliveryQueue {
    db: Db,
}

impl SeaDeliveryQueue {
    /// A queue on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// One fan-out's transaction; rolls back when dropped.
#[derive(Debug)]
struct SeaRelayTx {
    txn: DatabaseTransaction,
}

/// An outbox row as the fan-out takes it.
#[derive(Debug, FromQueryResult)]
struct OutboxRow {
    seq: i64,
    id: Uuid,
    occurred_at: DateTime<Utc>,
    event_type: String,
    resource_type: String,
    resource_id: Uuid,
    board_id: Option<Uuid>,
    actor_user_id: Option<Uuid>,
    payload: serde_json::Value,
    traceparent: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct ClaimedRow {
    id: Uuid,
}

fn skip_locked(backend: DatabaseBackend) -> &'static str {
    if backend == DatabaseBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" }
}

#[async_trait::async_trait]
impl RelayTx for SeaRelayTx {
    async fn take(&self, limit: u32) -> Result<Vec<OutboxEvent>, RepoError> {
        let backend = self.txn.get_database_backend();
        let sql = format!(
            "DELETE FROM outbox_events WHERE seq IN \
             (SELECT seq FROM outbox_events ORDER BY seq LIMIT $1{}) \
             RETURNING seq, id, occurred_at, event_type, resource_type, resource_id, board_id, actor_user_id, payload, \
             traceparent",
            skip_locked(backend)
        );
        let statement = Statement::from_sql_and_values(backend, sql, [Value::from(i64::from(limit))]);
        let mut rows = OutboxRow::find_by_statement(statement).all(&self.txn).await.repo()?;
        rows.sort_unstable_by_key(|r| r.seq);
        Ok(rows
            .into_iter()
            .map(|r| OutboxEvent {
                id: r.id,
                occurred_at: r.occurred_at,
                action: r.event_type,
                resource_type: r.resource_type,
                resource_id: r.resource_id,
                board_id: r.board_id.map(BoardId::from_uuid),
                actor_id: r.actor_user_id.map(UserId::from_uuid),
                changes: r.payload,
                traceparent: r.traceparent,
            })
            .collect())
    }

    async fn subscribers(&self, boards: Vec<BoardId>) -> Result<Vec<Subscriber>, RepoError> {
        let hooks = webhook::Entity::find().filter(webhook::Column::Active.eq(true)).all(&self.txn).await.repo()?;
        if hooks.is_empty() {
            return Ok(Vec::new());
        }
        let owners: HashSet<Uuid> = hooks.iter().map(|h| h.owner_id).collect();
        let users: HashMap<Uuid, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(owners.iter().copied()))
            .filter(user::Column::Status.eq("active"))
            .all(&self.txn)
            .await
            .repo()?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut memberships: HashMap<Uuid, HashSet<BoardId>> = HashMap::new();
        if !boards.is_empty() {
            let rows = board_member::Entity::find()
                .filter(board_member::Column::UserId.is_in(owners.iter().copied()))
                .filter(board_member::Column::BoardId.is_in(boards.iter().map(BoardId::as_uuid)))
                .all(&self.txn)
                .await
                .repo()?;
            for m in rows {
                memberships.entry(m.user_id).or_default().insert(BoardId::from_uuid(m.board_id));
            }
        }
        let mut subscribers = Vec::with_capacity(hooks.len());
        for hook in hooks {
            let Some(owner) = users.get(&hook.owner_id) else { continue };
            subscribers.push(Subscriber {
                webhook_id: WebhookId::from_uuid(hook.id),
                owner_id: UserId::from_uuid(owner.id),
                owner_is_admin: owner.role == "admin",
                event_types: event_types(&hook.event_types)?,
                boards: memberships.get(&owner.id).cloned().unwrap_or_default(),
            });
        }
        Ok(subscribers)
    }

    async fn queue(&self, deliveries: Vec<NewDelivery>) -> Result<(), RepoError> {
        use webhook_delivery::Column as C;
        // A statement's parameters are limited (SQLite: 32,766): 13 columns, 500 rows at a time.
        for chunk in deliveries.chunks(500) {
            let rows = chunk.iter().map(|d| {
                webhook_delivery::Model {
                    id: d.id.as_uuid(),
                    webhook_id: d.webhook_id.as_uuid(),
                    event_id: d.event_id,
                    event_type: d.event_type.clone(),
                    body: d.body.clone(),
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: Some(d.created_at),
                    last_attempt_at: None,
                    last_status_code: None,
                    round_started_at: d.created_at,
                    created_at: d.created_at,
                    traceparent: d.traceparent.clone(),
                }
                .into_active_model()
            });
            webhook_delivery::Entity::insert_many(rows)
                .on_conflict(OnConflict::columns([C::WebhookId, C::EventId]).do_nothing().to_owned())
                .exec_without_returning(&self.txn)
                .await
                .repo()?;
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}

#[async_trait::async_trait]
impl DeliveryQueue for SeaDeliveryQueue {
    async fn begin_relay(&self) -> Result<Box<dyn RelayTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaRelayTx { txn }))
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, RepoError> {
        let conn = self.db.conn();
        let backend = conn.get_database_backend();
        let lock = if backend == DatabaseBackend::Postgres { " FOR UPDATE OF d SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN \
             (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
              WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND w.active \
              ORDER BY d.next_attempt_at LIMIT $3{lock}) \
             RETURNING id"
        );
        let values = [Value::from(lease_until), Value::from(now), Value::from(i64::from(limit))];
        let claimed = ClaimedRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(conn)
            .await
            .repo()?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let rows = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Id.is_in(claimed.iter().map(|c| c.id)))
            .all(conn)
            .await
            .repo()?;
        let hooks: HashMap<Uuid, webhook::Model> = webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(rows.iter().map(|r| r.webhook_id)))
            .all(conn)
            .await
            .repo()?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            // A webhook deleted since the claim took its deliveries with it.
            let Some(hook) = hooks.get(&row.webhook_id) else { continue };
            due.push(DueDelivery {
                url: hook.url.clone(),
                secret: secret(&hook.secret)?,
                owner_id: UserId::from_uuid(hook.owner_id),
                failing_since: hook.failing_since,
                traceparent: row.traceparent.clone(),
                delivery: delivery_from_row(row)?,
            });
        }
        due.sort_by_key(|d| d.delivery.created_at);
        Ok(due)
    }

    async fn prune(&self, before: DateTime<Utc>, limit: u32) -> Result<u64, RepoError> {
        // Delivery ids are UUIDv7 made when the delivery was queued: those older than `before`
        // sort below the smallest id of that millisecond, so the primary key finds them.
        let millis = u64::try_from(before.timestamp_millis()).unwrap_or_default();
        let below = uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid();
        let conn = self.db.conn();
        let backend = conn.get_database_backend();
        let sql = "DELETE FROM webhook_deliveries WHERE id IN \
                   (SELECT id FROM webhook_deliveries WHERE id < $1 AND status <> 'pending' ORDER BY id LIMIT $2)";
        let values = [Value::from(below), Value::from(i64::from(limit))];
        let done = conn.execute(Statement::from_sql_and_values(backend, sql, values)).await.repo()?;
        Ok(done.rows_affected())
    }

    async fn finish(&self, finished: &FinishedAttempt) -> Result<(), RepoError> {
        use webhook_delivery::Column as D;
        let txn = self.db.conn().begin().await.repo()?;
        let attempt = &finished.attempt;
        webhook_attempt::Entity::insert(attempt_to_row(attempt).into_active_model())
            .exec_without_returning(&txn)
            .await
            .repo()?;
        let (status, next) = match finished.next {
            AfterAttempt::Succeeded => ("succeeded", None),
            AfterAttempt::RetryAt(at) => ("pending", Some(at)),
            AfterAttempt::GaveUp => ("failed", None),
        };
        webhook_delivery::Entity::update_many()
            .col_expr(D::Status, Expr::value(status))
            .col_expr(D::NextAttemptAt, Expr::value(next))
            .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
            .col_expr(D::LastAttemptAt, Expr::value(attempt.attempted_at))
            .col_expr(D::LastStatusCode, Expr::value(attempt.status_code.map(i32::from)))
            .filter(D::Id.eq(attempt.delivery_id.as_uuid()))
            .exec(&txn)
            .await
            .repo()?;
        let hook = finished.webhook_id.as_uuid();
        // The failure streak: cleared by a success, started by the first failure after one.
        let streak = if attempt.succeeded() {
            webhook::Entity::update_many()
                .col_expr(webhook::Column::FailingSince, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(webhook::Column::FailingSince.is_not_null())
        } else {
            webhook::Entity::update_many()
                .col_expr(webhook::Column::FailingSince, Expr::value(attempt.attempted_at))
                .filter(webhook::Column::FailingSince.is_null())
        };
        streak.filter(webhook::Column::Id.eq(hook)).exec(&txn).await.repo()?;
        if let Some((reason, event)) = &finished.disable {
            let turned_off = webhook::Entity::update_many()
                .col_expr(webhook::Column::Active, Expr::value(false))
                .col_expr(webhook::Column::DisabledReason, Expr::value(reason.clone()))
                .col_expr(webhook::Column::Version, Expr::col(webhook::Column::Version).add(1))
                .col_expr(webhook::Column::UpdatedAt, Expr::value(event.occurred_at))
                .filter(webhook::Column::Id.eq(hook))
                .filter(webhook::Column::Active.eq(true))
                .exec(&txn)
                .await
                .repo()?;
            if turned_off.rows_affected > 0 {
                crate::events::record(&txn, event, Advance::Actor).await?;
            }
        }
        txn.commit().await.repo()
    }
}
