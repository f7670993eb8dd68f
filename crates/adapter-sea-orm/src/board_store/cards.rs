//! Cards with their labels and assignees, which live in link tables and are loaded for a whole
//! set of cards at once (never one query per card).

use std::collections::HashMap;

use board::{Card, CardFilter};
use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, ColumnId, LabelId, Page, PageRequest, RepoError, UserId, Version};
use sea_orm::sea_query::{Alias, Expr, JoinType, Query, SelectStatement, UnionType};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    IntoActiveModel as _, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait as _,
};
use uuid::Uuid;

use super::convert::{card_from_row, card_to_row};
use super::versioned;
use crate::entity::{card, card_assignee, card_label};
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

/// Tags of the rows of [`link_query`].
const LABEL: i32 = 1;
const ASSIGNEE: i32 = 2;

/// The label links and the assignee links of `scope` as one `UNION ALL` of
/// `(card_id, other, kind)` rows, `kind` telling which: one statement whatever the number of
/// cards (a statement fewer for every card read, decision 0036).
fn link_query(scope: Scope) -> SelectStatement {
    let (label_cond, assignee_cond) = match scope {
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
    Query::select()
        .column(card_label::Column::CardId)
        .expr_as(Expr::col(card_label::Column::LabelId), OTHER)
        .expr_as(Expr::val(LABEL), KIND)
        .from(card_label::Entity)
        .cond_where(label_cond)
        .union(UnionType::All, assignees)
        .to_owned()
}

/// Column names of [`link_query`]'s rows beyond `card_id`.
const OTHER: &str = "other";
const KIND: &str = "kind";

impl Links {
    fn add(&mut self, card: Uuid, other: Uuid, kind: i32) {
        match kind {
            LABEL => self.labels.entry(card).or_default().push(LabelId::from_uuid(other)),
            _ => self.assignees.entry(card).or_default().push(UserId::from_uuid(other)),
        }
    }

    fn sorted(mut self) -> Self {
        self.labels.values_mut().for_each(|v| v.sort_unstable());
        self.assignees.values_mut().for_each(|v| v.sort_unstable());
        self
    }
}

/// The links of `scope`.
async fn links<C: ConnectionTrait>(conn: &C, scope: Scope) -> Result<Links, RepoError> {
    if matches!(&scope, Scope::Cards(ids) if ids.is_empty()) {
        return Ok(Links::default());
    }
    let query = link_query(scope);
    let rows = conn.query_all(conn.get_database_backend().build(&query)).await.repo()?;
    let mut links = Links::default();
    for row in rows {
        let (card, other, kind): (Uuid, Uuid, i32) = row.try_get_many_by_index().repo()?;
        links.add(card, other, kind);
    }
    Ok(links.sorted())
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

/// One card and its links in one statement: the card's row joined to its link rows, one row
/// per link (or one with no link).
pub(super) async fn get_card<C: ConnectionTrait>(conn: &C, id: CardId) -> Result<Card, RepoError> {
    let id = id.as_uuid();
    let links_of = Alias::new("links");
    let query = card::Entity::find_by_id(id)
        .into_query()
        .join_subquery(
            JoinType::LeftJoin,
            link_query(Scope::Cards(vec![id])),
            links_of.clone(),
            Expr::col((links_of.clone(), card_label::Column::CardId)).equals((card::Entity, card::Column::Id)),
        )
        .column((links_of.clone(), Alias::new(OTHER)))
        .column((links_of, Alias::new(KIND)))
        .to_owned();
    let rows = conn.query_all(conn.get_database_backend().build(&query)).await.repo()?;
    let mut links = Links::default();
    let mut card = None;
    for row in rows {
        if let (Some(other), Some(kind)) =
            (row.try_get::<Option<Uuid>>("", OTHER).repo()?, row.try_get::<Option<i32>>("", KIND).repo()?)
        {
            links.add(id, other, kind);
        }
        if card.is_none() {
            card = Some(card::Model::from_query_result(&row, "").repo()?);
        }
    }
    let card = card.ok_or(RepoError::NotFound)?;
    assemble(vec![card], links.sorted())?.pop().ok_or(RepoError::NotFound)
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
        query = query.filter(card::Column::Id.in_subquery(assigned_to(board, user)));
    }
    if let Some(label) = filter.label {
        query = query.filter(card::Column::Id.in_subquery(labelled(board, label)));
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

/// The ids of `board`'s cards assigned to `user`.
pub(super) fn assigned_to(board: BoardId, user: UserId) -> SelectStatement {
    Query::select()
        .column(card_assignee::Column::CardId)
        .from(card_assignee::Entity)
        .and_where(card_assignee::Column::BoardId.eq(board.as_uuid()))
        .and_where(card_assignee::Column::UserId.eq(user.as_uuid()))
        .to_owned()
}

/// The ids of `board`'s cards carrying `label`.
pub(super) fn labelled(board: BoardId, label: LabelId) -> SelectStatement {
    Query::select()
        .column(card_label::Column::CardId)
        .from(card_label::Entity)
        .and_where(card_label::Column::BoardId.eq(board.as_uuid()))
        .and_where(card_label::Column::LabelId.eq(label.as_uuid()))
        .to_owned()
}

/// Changes the cards `ids` selects at `at` (their versions move on) for a change that reaches
/// them through a link: a label deleted, an assignee who left. Run it before the links go.
pub(super) async fn touch_cards<C: ConnectionTrait>(
    conn: &C,
    ids: SelectStatement,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    card::Entity::update_many()
        .col_expr(card::Column::Version, Expr::col(card::Column::Version).add(1))
        .col_expr(card::Column::UpdatedAt, Expr::value(at))
        .filter(card::Column::Id.in_subquery(ids))
        .exec(conn)
        .await
        .repo()?;
    Ok(())
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
