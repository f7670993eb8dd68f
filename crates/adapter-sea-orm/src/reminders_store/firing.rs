//! The scheduler's queries (claiming due reminders, occurrence records) and the notification
//! feed, generic over the connection.

use chrono::{DateTime, Utc};
use kernel::{NotificationId, Page, PageRequest, ReminderId, RepoError, UserId};
use reminders::scheduler::Occurrence;
use reminders::{Claim, Notification};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait as _, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::queries::from_row;
use crate::entity::{notification, reminder, reminder_occurrence};
use crate::error::RepoResult;

/// Up to `limit` scheduled reminders due at `now`, earliest first. On PostgreSQL the rows are
/// locked `FOR NO KEY UPDATE SKIP LOCKED` (through the `reminders_due` partial index), so
/// concurrent workers claim disjoint batches and never wait on each other; `NO KEY` as in
/// [`crate::sql::for_update`]. SQLite's write transaction is exclusive already.
/// A row that does not parse is reported in [`Claim::unreadable`].
pub(super) async fn claim_due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Claim, RepoError> {
    let mut query = reminder::Entity::find()
        .filter(reminder::Column::Status.eq("scheduled"))
        .filter(reminder::Column::NextFireAt.lte(now))
        .order_by_asc(reminder::Column::NextFireAt)
        .order_by_asc(reminder::Column::Id)
        .limit(limit);
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked);
    }
    let mut claim = Claim::default();
    for row in query.all(conn).await.repo()? {
        match from_row(&row) {
            Ok(reminder) => claim.due.push(reminder),
            Err(error) => claim.unreadable.push((ReminderId::from_uuid(row.id), error.to_string())),
        }
    }
    Ok(claim)
}

/// Clears a reminder's `next_fire_at` without reading the row.
pub(super) async fn park<C: ConnectionTrait>(conn: &C, id: ReminderId) -> Result<(), RepoError> {
    reminder::Entity::update_many()
        .col_expr(reminder::Column::NextFireAt, Expr::value(None::<DateTime<Utc>>))
        .filter(reminder::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    Ok(())
}

/// Records an occurrence; `false` when `(reminder_id, due_at)` was recorded before.
pub(super) async fn insert_occurrence<C: ConnectionTrait>(
    conn: &C,
    occurrence: &Occurrence,
    fired_at: DateTime<Utc>,
) -> Result<bool, RepoError> {
    let row = reminder_occurrence::ActiveModel {
        reminder_id: Set(occurrence.reminder_id.as_uuid()),
        due_at: Set(occurrence.due_at),
        fired_at: Set(fired_at),
        late: Set(occurrence.late),
    };
    let inserted = reminder_occurrence::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([reminder_occurrence::Column::ReminderId, reminder_occurrence::Column::DueAt])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .repo()?;
    Ok(inserted > 0)
}

fn notification_from_row(row: notification::Model) -> Notification {
    Notification {
        id: NotificationId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        reminder_id: row.reminder_id.map(ReminderId::from_uuid),
        title: row.title,
        body: row.body,
        due_at: row.due_at,
        late: row.late,
        read_at: row.read_at,
        created_at: row.created_at,
    }
}

pub(super) async fn insert_notification<C: ConnectionTrait>(conn: &C, n: &Notification) -> Result<(), RepoError> {
    let row = notification::ActiveModel {
        id: Set(n.id.as_uuid()),
        user_id: Set(n.user_id.as_uuid()),
        reminder_id: Set(n.reminder_id.map(|r| r.as_uuid())),
        title: Set(n.title.clone()),
        body: Set(n.body.clone()),
        due_at: Set(n.due_at),
        late: Set(n.late),
        read_at: Set(n.read_at),
        created_at: Set(n.created_at),
    };
    notification::Entity::insert(row).exec_without_returning(conn).await.repo()?;
    // The scheduler acts, but the notification is the user's: it shows on their dashboard.
    crate::events::advance_user(conn, n.user_id).await
}

pub(super) async fn notifications<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    unread: Option<bool>,
    page: PageRequest,
) -> Result<Page<Notification>, RepoError> {
    let mut query = notification::Entity::find()
        .filter(notification::Column::UserId.eq(owner.as_uuid()))
        .order_by_asc(notification::Column::Id)
        .limit(page.fetch_limit());
    match unread {
        Some(true) => query = query.filter(notification::Column::ReadAt.is_null()),
        Some(false) => query = query.filter(notification::Column::ReadAt.is_not_null()),
        None => {}
    }
    if let Some(after) = page.after() {
        query = query.filter(notification::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.into_iter().map(notification_from_row).collect();
    Ok(Page::from_overfetch(rows, page, |n: &Notification| n.id.as_uuid()))
}

pub(super) async fn unread_count<C: ConnectionTrait>(conn: &C, owner: UserId) -> Result<u64, RepoError> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(owner.as_uuid()))
        .filter(notification::Column::ReadAt.is_null())
        .count(conn)
        .await
        .repo()
}

/// Marks `owner`'s notification read; also whether this call changed it.
pub(super) async fn mark_read<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    id: NotificationId,
    at: DateTime<Utc>,
) -> Result<(Notification, bool), RepoError> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(at))
        .filter(notification::Column::Id.eq(id.as_uuid()))
        .filter(notification::Column::UserId.eq(owner.as_uuid()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await
        .repo()?;
    let row = notification::Entity::find_by_id(id.as_uuid())
        .filter(notification::Column::UserId.eq(owner.as_uuid()))
        .one(conn)
        .await
        .repo()?
        .ok_or(RepoError::NotFound)?;
    Ok((notification_from_row(row), result.rows_affected > 0))
}

pub(super) async fn mark_all_read<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    at: DateTime<Utc>,
) -> Result<u64, RepoError> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(at))
        .filter(notification::Column::UserId.eq(owner.as_uuid()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await
        .repo()?;
    Ok(result.rows_affected)
}
