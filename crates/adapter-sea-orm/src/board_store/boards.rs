//! Boards and their memberships.

use board::{Board, BoardRole, Member, Revision};
use chrono::{DateTime, Utc};
use kernel::{BoardId, Page, PageRequest, RepoError, UserId, Version};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel as _,
    JoinType, QueryFilter, QueryOrder, QuerySelect,
};

use super::cards::{assigned_to, touch_cards};
use super::convert::{board_from_row, board_to_row, member_from_row, member_to_row, role_from_text};
use super::{for_update, versioned};
use crate::entity::{board as boards, board_member, board_revision, card_assignee};
use crate::error::RepoResult;
use crate::sql::KeptText;

pub(super) async fn get_board<C: ConnectionTrait>(conn: &C, id: BoardId, lock: bool) -> Result<Board, RepoError> {
    let query = boards::Entity::find_by_id(id.as_uuid());
    let query = if lock { for_update(query, conn) } else { query };
    board_from_row(&query.one(conn).await.repo()?.ok_or(RepoError::NotFound)?)
}

pub(super) async fn list_boards_for_user<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    page: PageRequest,
) -> Result<Page<Board>, RepoError> {
    let memberships = Query::select()
        .column(board_member::Column::BoardId)
        .from(board_member::Entity)
        .and_where(board_member::Column::UserId.eq(user.as_uuid()))
        .to_owned();
    let mut query = boards::Entity::find()
        .filter(boards::Column::Id.in_subquery(memberships))
        .order_by_asc(boards::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = page.after() {
        query = query.filter(boards::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.iter().map(board_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |b| b.id.as_uuid()))
}

pub(super) async fn insert_board<C: ConnectionTrait>(conn: &C, b: &Board) -> Result<(), RepoError> {
    boards::Entity::insert(board_to_row(b).into_active_model()).exec_without_returning(conn).await.repo()?;
    let revision = board_revision::Model { board_id: b.id.as_uuid(), revision: 0, changed_at: Some(b.created_at) };
    board_revision::Entity::insert(revision.into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

/// The board's revision; `NotFound` when there is no such board.
pub(super) async fn revision<C: ConnectionTrait>(conn: &C, id: BoardId) -> Result<Revision, RepoError> {
    let revision: Option<i64> = board_revision::Entity::find_by_id(id.as_uuid())
        .select_only()
        .column(board_revision::Column::Revision)
        .into_tuple()
        .one(conn)
        .await
        .repo()?;
    revision.map(|n| Revision::new(n.unsigned_abs())).ok_or(RepoError::NotFound)
}

pub(super) async fn update_board<C: ConnectionTrait>(conn: &C, b: &Board, expected: Version) -> Result<(), RepoError> {
    let mut row = board_to_row(b).into_active_model().reset_all();
    row.id = NotSet;
    row.created_at = NotSet;
    let result = boards::Entity::update_many()
        .set(row)
        .filter(boards::Column::Id.eq(b.id.as_uuid()))
        .filter(boards::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<boards::Entity, _>(conn, result.rows_affected, b.id.as_uuid()).await
}

pub(super) async fn delete_board<C: ConnectionTrait>(
    conn: &C,
    id: BoardId,
    expected: Version,
) -> Result<(), RepoError> {
    let result = boards::Entity::delete_many()
        .filter(boards::Column::Id.eq(id.as_uuid()))
        .filter(boards::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<boards::Entity, _>(conn, result.rows_affected, id.as_uuid()).await
}

pub(super) async fn membership<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    user: UserId,
) -> Result<Option<BoardRole>, RepoError> {
    find_member(conn, board, user).await.map(|m| m.map(|m| m.role))
}

/// The role `user` holds on `board` and the board's revision, in one statement (membership
/// joined to the revision row); `None` when not a member or no such board.
pub(super) async fn membership_and_revision<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    user: UserId,
) -> Result<Option<(BoardRole, Revision)>, RepoError> {
    static TEXT: KeptText = KeptText::new();
    let (board, user) = (board.as_uuid(), user.as_uuid());
    let statement = TEXT.statement(conn.get_database_backend(), vec![board.into(), user.into(), 1u64.into()], || {
        let to_revision = board_member::Entity::belongs_to(board_revision::Entity)
            .from(board_member::Column::BoardId)
            .to(board_revision::Column::BoardId);
        board_member::Entity::find_by_id((board, user))
            .select_only()
            .column(board_member::Column::Role)
            .column(board_revision::Column::Revision)
            .join(JoinType::InnerJoin, to_revision.into())
            .limit(1)
    });
    let Some(row) = conn.query_one(statement).await.repo()? else {
        return Ok(None);
    };
    let (role, revision): (String, i64) = row.try_get_many_by_index().repo()?;
    Ok(Some((role_from_text(&role)?, Revision::new(revision.unsigned_abs()))))
}

pub(super) async fn get_member<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    user: UserId,
) -> Result<Member, RepoError> {
    find_member(conn, board, user).await?.ok_or(RepoError::NotFound)
}

async fn find_member<C: ConnectionTrait>(conn: &C, board: BoardId, user: UserId) -> Result<Option<Member>, RepoError> {
    board_member::Entity::find_by_id((board.as_uuid(), user.as_uuid()))
        .one(conn)
        .await
        .repo()?
        .as_ref()
        .map(member_from_row)
        .transpose()
}

pub(super) async fn list_members<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    page: PageRequest,
) -> Result<Page<Member>, RepoError> {
    let mut query = board_member::Entity::find()
        .filter(board_member::Column::BoardId.eq(board.as_uuid()))
        .order_by_asc(board_member::Column::UserId)
        .limit(page.fetch_limit());
    if let Some(after) = page.after() {
        query = query.filter(board_member::Column::UserId.gt(after));
    }
    let rows = query.all(conn).await.repo()?.iter().map(member_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |m| m.user_id.as_uuid()))
}

/// Every member of a board, by user id: a board page shows them all.
pub(super) async fn all_members<C: ConnectionTrait>(conn: &C, board: BoardId) -> Result<Vec<Member>, RepoError> {
    board_member::Entity::find()
        .filter(board_member::Column::BoardId.eq(board.as_uuid()))
        .order_by_asc(board_member::Column::UserId)
        .all(conn)
        .await
        .repo()?
        .iter()
        .map(member_from_row)
        .collect()
}

pub(super) async fn other_owner<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    excluding: UserId,
) -> Result<Option<UserId>, RepoError> {
    let owner: Option<uuid::Uuid> = board_member::Entity::find()
        .select_only()
        .column(board_member::Column::UserId)
        .filter(board_member::Column::BoardId.eq(board.as_uuid()))
        .filter(board_member::Column::Role.eq(BoardRole::Owner.as_str()))
        .filter(board_member::Column::UserId.ne(excluding.as_uuid()))
        .order_by_asc(board_member::Column::CreatedAt)
        .into_tuple()
        .one(conn)
        .await
        .repo()?;
    Ok(owner.map(UserId::from_uuid))
}

pub(super) async fn members_among<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    users: Vec<UserId>,
) -> Result<Vec<UserId>, RepoError> {
    let found: Vec<uuid::Uuid> = board_member::Entity::find()
        .select_only()
        .column(board_member::Column::UserId)
        .filter(board_member::Column::BoardId.eq(board.as_uuid()))
        .filter(board_member::Column::UserId.is_in(users.into_iter().map(|u| u.as_uuid())))
        .into_tuple()
        .all(conn)
        .await
        .repo()?;
    Ok(found.into_iter().map(UserId::from_uuid).collect())
}

pub(super) async fn insert_member<C: ConnectionTrait>(conn: &C, m: &Member) -> Result<(), RepoError> {
    board_member::Entity::insert(member_to_row(m).into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn update_member<C: ConnectionTrait>(conn: &C, m: &Member) -> Result<(), RepoError> {
    let result = board_member::Entity::update_many()
        .col_expr(board_member::Column::Role, Expr::value(m.role.as_str()))
        .col_expr(board_member::Column::UpdatedAt, Expr::value(m.updated_at))
        .filter(board_member::Column::BoardId.eq(m.board_id.as_uuid()))
        .filter(board_member::Column::UserId.eq(m.user_id.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    if result.rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) }
}

pub(super) async fn delete_member<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    touch_cards(conn, assigned_to(board, user), at).await?;
    // The foreign key cascades too; deleting explicitly keeps this true on a SQLite connection
    // opened without `PRAGMA foreign_keys`.
    card_assignee::Entity::delete_many()
        .filter(card_assignee::Column::BoardId.eq(board.as_uuid()))
        .filter(card_assignee::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    let result = board_member::Entity::delete_many()
        .filter(board_member::Column::BoardId.eq(board.as_uuid()))
        .filter(board_member::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    if result.rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) }
}
