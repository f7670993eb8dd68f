//! Reads and writes of reminders, and what a reminder may point at, generic over the
//! connection.

use std::fmt::Display;

use kernel::{CardId, NoteId, Page, PageRequest, ReminderId, RepoError, UserId, Version};
use reminders::{Recurrence, Reminder, ReminderBody, ReminderFilter, ReminderStatus, ReminderTitle, Target, Timezone};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel as _, PaginatorTrait as _, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::{board_member, card, note, reminder};
use crate::error::RepoResult;
use crate::sql::{for_update, versioned};

fn corrupt<E: Display>(what: &'static str) -> impl FnOnce(E) -> RepoError {
    move |e| RepoError::Unexpected(anyhow::anyhow!("stored {what} does not parse: {e}"))
}

pub(super) fn from_row(row: &reminder::Model) -> Result<Reminder, RepoError> {
    let target = match (row.target_kind.as_deref(), row.target_id) {
        (None, None) => None,
        (Some("card"), Some(id)) => Some(Target::Card(CardId::from_uuid(id))),
        (Some("note"), Some(id)) => Some(Target::Note(NoteId::from_uuid(id))),
        (kind, id) => return Err(corrupt("reminder target")(format!("{kind:?} {id:?}"))),
    };
    Ok(Reminder {
        id: ReminderId::from_uuid(row.id),
        owner_id: UserId::from_uuid(row.owner_id),
        title: ReminderTitle::parse(&row.title).map_err(corrupt("reminder title"))?,
        body: ReminderBody::parse(&row.body).map_err(corrupt("reminder body"))?,
        remind_at: row.remind_at,
        timezone: Timezone::parse(&row.timezone).map_err(corrupt("reminder time zone"))?,
        recurrence: row
            .recurrence
            .as_deref()
            .map(Recurrence::parse)
            .transpose()
            .map_err(corrupt("reminder recurrence"))?,
        target,
        status: ReminderStatus::parse(&row.status).map_err(corrupt("reminder status"))?,
        next_fire_at: row.next_fire_at,
        snoozed_until: row.snoozed_until,
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_row(r: &Reminder) -> reminder::Model {
    reminder::Model {
        id: r.id.as_uuid(),
        owner_id: r.owner_id.as_uuid(),
        title: r.title.as_str().to_owned(),
        body: r.body.as_str().to_owned(),
        remind_at: r.remind_at,
        timezone: r.timezone.name().to_owned(),
        recurrence: r.recurrence.as_ref().map(ToString::to_string),
        target_kind: r.target.map(|t| t.kind().to_owned()),
        target_id: r.target.map(|t| t.id()),
        status: r.status.as_str().to_owned(),
        next_fire_at: r.next_fire_at,
        snoozed_until: r.snoozed_until,
        version: r.version.get(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// One reminder; `lock` takes a row lock until the end of the transaction (PostgreSQL).
pub(super) async fn get<C: ConnectionTrait>(conn: &C, id: ReminderId, lock: bool) -> Result<Reminder, RepoError> {
    let query = reminder::Entity::find_by_id(id.as_uuid());
    let query = if lock { for_update(query, conn) } else { query };
    from_row(&query.one(conn).await.repo()?.ok_or(RepoError::NotFound)?)
}

/// `owner`'s reminders by id, oldest first. With a `from` or `to` bound, a reminder with no
/// `next_fire_at` never matches (SQL's comparison with NULL), as the filter wants.
pub(super) async fn list_by_owner<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    filter: ReminderFilter,
    page: PageRequest,
) -> Result<Page<Reminder>, RepoError> {
    let mut query = reminder::Entity::find()
        .filter(reminder::Column::OwnerId.eq(owner.as_uuid()))
        .order_by_asc(reminder::Column::Id)
        .limit(page.fetch_limit());
    if let Some(status) = filter.status {
        query = query.filter(reminder::Column::Status.eq(status.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(reminder::Column::NextFireAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(reminder::Column::NextFireAt.lt(to));
    }
    if let Some(after) = page.after() {
        query = query.filter(reminder::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |r| r.id.as_uuid()))
}

pub(super) async fn next_for_owner<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    limit: u32,
) -> Result<Vec<Reminder>, RepoError> {
    let rows = reminder::Entity::find()
        .filter(reminder::Column::OwnerId.eq(owner.as_uuid()))
        .filter(reminder::Column::Status.eq(ReminderStatus::Scheduled.as_str()))
        .filter(reminder::Column::NextFireAt.is_not_null())
        .order_by_asc(reminder::Column::NextFireAt)
        .order_by_asc(reminder::Column::Id)
        .limit(u64::from(limit))
        .all(conn)
        .await
        .repo()?;
    rows.iter().map(from_row).collect()
}

pub(super) async fn insert<C: ConnectionTrait>(conn: &C, r: &Reminder) -> Result<(), RepoError> {
    reminder::Entity::insert(to_row(r).into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn update<C: ConnectionTrait>(conn: &C, r: &Reminder, expected: Version) -> Result<(), RepoError> {
    let mut row = to_row(r).into_active_model().reset_all();
    row.id = NotSet;
    row.owner_id = NotSet;
    row.created_at = NotSet;
    let result = reminder::Entity::update_many()
        .set(row)
        .filter(reminder::Column::Id.eq(r.id.as_uuid()))
        .filter(reminder::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<reminder::Entity, _>(conn, result.rows_affected, r.id.as_uuid()).await
}

pub(super) async fn delete<C: ConnectionTrait>(conn: &C, id: ReminderId, expected: Version) -> Result<(), RepoError> {
    let result = reminder::Entity::delete_many()
        .filter(reminder::Column::Id.eq(id.as_uuid()))
        .filter(reminder::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<reminder::Entity, _>(conn, result.rows_affected, id.as_uuid()).await
}

/// The boards `user` is a member of.
fn boards_of(user: UserId) -> SelectStatement {
    Query::select()
        .column(board_member::Column::BoardId)
        .from(board_member::Entity)
        .and_where(board_member::Column::UserId.eq(user.as_uuid()))
        .to_owned()
}

/// Whether `user` may see `target`: a card on a board they are a member of; a note that is
/// their own personal note or sits on such a board (the rule notes' listing applies).
pub(super) async fn can_see<C: ConnectionTrait>(conn: &C, user: UserId, target: Target) -> Result<bool, RepoError> {
    let visible = match target {
        Target::Card(id) => {
            card::Entity::find_by_id(id.as_uuid())
                .filter(card::Column::BoardId.in_subquery(boards_of(user)))
                .count(conn)
                .await
        }
        Target::Note(id) => {
            let personal =
                Condition::all().add(note::Column::BoardId.is_null()).add(note::Column::OwnerId.eq(user.as_uuid()));
            note::Entity::find_by_id(id.as_uuid())
                .filter(Condition::any().add(personal).add(note::Column::BoardId.in_subquery(boards_of(user))))
                .count(conn)
                .await
        }
    };
    Ok(visible.repo()? > 0)
}
