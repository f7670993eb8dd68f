//! Cards with their labels and assignees, which live in link tables and are loaded for a whole
//! set of cards at once (never one query per card).

use std::collections::HashMap;

use board::{Card, CardFilter};
use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, ColumnId, LabelId, Page, PageRequest, RepoError, UserId, Version};
use sea_orm::sea_query::{Expr, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel as _, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::convert::{card_from_row, card_to_row};
use super::versioned;
use crate::entity::{board as boards, board_member, card, card_assignee, card_label};
use crate::error::RepoResult;

/// Whose links to load.
enum Scope {
    /// These cards.
    Cards(Vec<Uuid>),
    /// The open cards of a board.
    OpenCardsOf(BoardId),
}

/// Labels and assignees per card, sorted by id.
#[derive(Default)]
struct Links {
    labels: HashMap<Uuid, Vec<LabelId>>,
    assignees: HashMap<Uuid, Vec<UserId>>,
}

fn open_cards_of(board: BoardId) -> SelectStatement {
    Query::select()
        .column(card::Column::Id)
        .from(card::Entity)
        .and_where(card::Column::BoardId.eq(board.as_uuid()))
        .and_where(card::Column::Archived.eq(false))
        .to_owned()
}

/// One query whatever the number of cards: the label links and the assignee links as one
/// `UNION ALL`, each row tagged with its kind (a statement fewer for every card read, decision
/// 0036).
async fn links<C: ConnectionTrait>(conn: &C, scope: Scope) -> Result<Links, RepoError> {
    const LABEL: i32 = 1;
    const ASSIGNEE: i32 = 2;
    let (label_cond, assignee_cond) = match scope {
        Scope::Cards(ids) if ids.is_empty() => return Ok(Links::default()),
        Scope::Cards(ids) => (
            Condition::all().add(card_label::Column::CardId.is_in(ids.clone())),
            Condition::all().add(card_assignee::Column::CardId.is_in(ids)),
        ),
        Scope::OpenCardsOf(board) => (
            Condition::all()
                .add(card_label::Column::BoardId.eq(board.as_uuid()))
                .add(card_label::Column::CardId.in_subquery(open_cards_of(board))),
            Condition::all()
                .add(card_assignee::Column::BoardId.eq(board.as_uuid()))
                .add(card_assignee::Column::CardId.in_subquery(open_cards_of(board))),
        ),
    };
    let assignees = Query::select()
        .columns([card_assignee::Column::CardId, card_assignee::Column::UserId])
        .expr(Expr::val(ASSIGNEE))
        .from(card_assignee::Entity)
        .cond_where(assignee_cond)
        .to_owned();
    let both = Query::select()
        .columns([card_label::Column::CardId, card_label::Column::LabelId])
        .expr(Expr::val(LABEL))
        .from(card_label::Entity)
        .cond_where(label_cond)
        .union(UnionType::All, assignees)
        .to_owned();
    let rows = conn.query_all(conn.get_database_backend().build(&both)).await.repo()?;
    let mut links = Links::default();
    for row in rows {
        let (card, other, kind): (Uuid, Uuid, i32) = row.try_get_many_by_index().repo()?;
        match kind {
            LABEL => links.labels.entry(card).or_default().push(LabelId::from_uuid(other)),
            _ => links.assignees.entry(card).or_default().push(UserId::from_uuid(other)),
        }
    }
    links.labels.values_mut().for_each(|v| v.sort_unstable());
    links.assignees.values_mut().for_each(|v| v.sort_unstable());
    Ok(links)
}

fn assemble(rows: Vec<card::Model>, mut links: Links) -> Result<Vec<Card>, RepoError> {
    rows.into_iter()
        .map(|row| {
            let labels = links.labels.remove(&row.id).unwrap_or_default();
            let assignees = links.assignees.remove(&row.id).unwrap_or_default();
            card_from_row(&row, labels, assignees)
        })
        .collect()
}

pub(super) async fn get_card<C: ConnectionTrait>(conn: &C, id: CardId) -> Result<Card, RepoError> {
    let row = card::Entity::find_by_id(id.as_uuid()).one(conn).await.repo()?.ok_or(RepoError::NotFound)?;
    let links = links(conn, Scope::Cards(vec![row.id])).await?;
    assemble(vec![row], links)?.pop().ok_or(RepoError::NotFound)
}

/// The open cards of a board in three queries, in no particular order.
pub(super) async fn open_cards<C: ConnectionTrait>(conn: &C, board: BoardId) -> Result<Vec<Card>, RepoError> {
    let rows = card::Entity::find()
        .filter(card::Column::BoardId.eq(board.as_uuid()))
        .filter(card::Column::Archived.eq(false))
        .all(conn)
        .await
        .repo()?;
    let links = links(conn, Scope::OpenCardsOf(board)).await?;
    assemble(rows, links)
}

/// The open cards due before `until` on the unarchived boards `user` belongs to, soonest
/// first: one query for the cards (the `cards_board_due` index serves each board) and two for
/// their links, whatever the number of boards.
pub(super) async fn due_for_user<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Card>, RepoError> {
    let member_of = Query::select()
        .column(board_member::Column::BoardId)
        .from(board_member::Entity)
        .and_where(board_member::Column::UserId.eq(user.as_uuid()))
        .to_owned();
    let open_boards = Query::select()
        .column(boards::Column::Id)
        .from(boards::Entity)
        .and_where(boards::Column::Archived.eq(false))
        .to_owned();
    let rows = card::Entity::find()
        .filter(card::Column::BoardId.in_subquery(member_of))
        .filter(card::Column::BoardId.in_subquery(open_boards))
        .filter(card::Column::Archived.eq(false))
        .filter(card::Column::DueAt.lt(until))
        .order_by_asc(card::Column::DueAt)
        .order_by_asc(card::Column::Id)
        .limit(u64::from(limit))
        .all(conn)
        .await
        .repo()?;
    let links = links(conn, Scope::Cards(rows.iter().map(|r| r.id).collect())).await?;
    assemble(rows, links)
}

pub(super) async fn list_cards<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    filter: CardFilter,
    page: PageRequest,
) -> Result<Page<Card>, RepoError> {
    let mut query = card::Entity::find()
        .filter(card::Column::BoardId.eq(board.as_uuid()))
        .order_by_asc(card::Column::Id)
        .limit(page.fetch_limit());
    if let Some(column) = filter.column_id {
        query = query.filter(card::Column::ColumnId.eq(column.as_uuid()));
    }
    if let Some(user) = filter.assignee {
        let assigned = Query::select()
            .column(card_assignee::Column::CardId)
            .from(card_assignee::Entity)
            .and_where(card_assignee::Column::BoardId.eq(board.as_uuid()))
            .and_where(card_assignee::Column::UserId.eq(user.as_uuid()))
            .to_owned();
        query = query.filter(card::Column::Id.in_subquery(assigned));
    }
    if let Some(label) = filter.label {
        let labelled = Query::select()
            .column(card_label::Column::CardId)
            .from(card_label::Entity)
            .and_where(card_label::Column::BoardId.eq(board.as_uuid()))
            .and_where(card_label::Column::LabelId.eq(label.as_uuid()))
            .to_owned();
        query = query.filter(card::Column::Id.in_subquery(labelled));
    }
    if let Some(due_before) = filter.due_before {
        query = query.filter(card::Column::DueAt.lt(due_before));
    }
    if let Some(archived) = filter.archived {
        query = query.filter(card::Column::Archived.eq(archived));
    }
    if let Some(after) = page.after() {
        query = query.filter(card::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?;
    let links = links(conn, Scope::Cards(rows.iter().map(|r| r.id).collect())).await?;
    Ok(Page::from_overfetch(assemble(rows, links)?, page, |c| c.id.as_uuid()))
}

pub(super) async fn count_cards<C: ConnectionTrait>(
    conn: &C,
    column: ColumnId,
    include_archived: bool,
) -> Result<u64, RepoError> {
    let mut query = card::Entity::find().filter(card::Column::ColumnId.eq(column.as_uuid()));
    if !include_archived {
        query = query.filter(card::Column::Archived.eq(false));
    }
    query.count(conn).await.repo()
}

pub(super) async fn insert_card<C: ConnectionTrait>(conn: &C, c: &Card) -> Result<(), RepoError> {
    card::Entity::insert(card_to_row(c).into_active_model()).exec_without_returning(conn).await.repo()?;
    // A new card has no links to replace.
    insert_labels(conn, c.board_id, c.id, &c.labels).await?;
    insert_assignees(conn, c.board_id, c.id, &c.assignees).await
}

pub(super) async fn update_card<C: ConnectionTrait>(conn: &C, c: &Card, expected: Version) -> Result<(), RepoError> {
    let mut row = card_to_row(c).into_active_model().reset_all();
    row.id = NotSet;
    row.board_id = NotSet;
    row.created_by = NotSet;
    row.created_at = NotSet;
    let result = card::Entity::update_many()
        .set(row)
        .filter(card::Column::Id.eq(c.id.as_uuid()))
        .filter(card::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<card::Entity, _>(conn, result.rows_affected, c.id.as_uuid()).await
}

pub(super) async fn set_card_labels<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    card: CardId,
    labels: &[LabelId],
) -> Result<(), RepoError> {
    card_label::Entity::delete_many().filter(card_label::Column::CardId.eq(card.as_uuid())).exec(conn).await.repo()?;
    insert_labels(conn, board, card, labels).await
}

async fn insert_labels<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    card: CardId,
    labels: &[LabelId],
) -> Result<(), RepoError> {
    if labels.is_empty() {
        return Ok(());
    }
    let rows = labels.iter().map(|label| {
        card_label::Model { card_id: card.as_uuid(), label_id: label.as_uuid(), board_id: board.as_uuid() }
            .into_active_model()
    });
    card_label::Entity::insert_many(rows).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn set_card_assignees<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    card: CardId,
    users: &[UserId],
) -> Result<(), RepoError> {
    card_assignee::Entity::delete_many()
        .filter(card_assignee::Column::CardId.eq(card.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    insert_assignees(conn, board, card, users).await
}

async fn insert_assignees<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    card: CardId,
    users: &[UserId],
) -> Result<(), RepoError> {
    if users.is_empty() {
        return Ok(());
    }
    let rows = users.iter().map(|user| {
        card_assignee::Model { card_id: card.as_uuid(), user_id: user.as_uuid(), board_id: board.as_uuid() }
            .into_active_model()
    });
    card_assignee::Entity::insert_many(rows).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn delete_card<C: ConnectionTrait>(conn: &C, id: CardId, expected: Version) -> Result<(), RepoError> {
    let result = card::Entity::delete_many()
        .filter(card::Column::Id.eq(id.as_uuid()))
        .filter(card::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<card::Entity, _>(conn, result.rows_affected, id.as_uuid()).await
}
