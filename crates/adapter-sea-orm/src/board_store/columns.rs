//! Columns.

use board::Column;
use kernel::{BoardId, ColumnId, RepoError, Version};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel as _,
    QueryFilter, QueryOrder,
};

use super::convert::{column_from_row, column_to_row};
use super::{for_update, versioned};
use crate::entity::board_column;
use crate::error::RepoResult;

pub(super) async fn get_column<C: ConnectionTrait>(conn: &C, id: ColumnId, lock: bool) -> Result<Column, RepoError> {
    let query = board_column::Entity::find_by_id(id.as_uuid());
    let query = if lock { for_update(query, conn) } else { query };
    column_from_row(&query.one(conn).await.repo()?.ok_or(RepoError::NotFound)?)
}

/// Every column of a board, in board order.
pub(super) async fn all_columns<C: ConnectionTrait>(conn: &C, board: BoardId) -> Result<Vec<Column>, RepoError> {
    board_column::Entity::find()
        .filter(board_column::Column::BoardId.eq(board.as_uuid()))
        .order_by_asc(board_column::Column::Rank)
        .order_by_asc(board_column::Column::Id)
        .all(conn)
        .await
        .repo()?
        .iter()
        .map(column_from_row)
        .collect()
}

pub(super) async fn insert_column<C: ConnectionTrait>(conn: &C, c: &Column) -> Result<(), RepoError> {
    board_column::Entity::insert(column_to_row(c).into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn update_column<C: ConnectionTrait>(
    conn: &C,
    c: &Column,
    expected: Version,
) -> Result<(), RepoError> {
    let mut row = column_to_row(c).into_active_model().reset_all();
    row.id = NotSet;
    row.board_id = NotSet;
    row.created_at = NotSet;
    let result = board_column::Entity::update_many()
        .set(row)
        .filter(board_column::Column::Id.eq(c.id.as_uuid()))
        .filter(board_column::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<board_column::Entity, _>(conn, result.rows_affected, c.id.as_uuid()).await
}

pub(super) async fn delete_column<C: ConnectionTrait>(
    conn: &C,
    id: ColumnId,
    expected: Version,
) -> Result<(), RepoError> {
    let result = board_column::Entity::delete_many()
        .filter(board_column::Column::Id.eq(id.as_uuid()))
        .filter(board_column::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<board_column::Entity, _>(conn, result.rows_affected, id.as_uuid()).await
}
