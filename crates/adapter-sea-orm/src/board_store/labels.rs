//! Labels and comments.

use board::{Comment, Label};
use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, CommentId, LabelId, Page, PageRequest, RepoError, Version};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel as _,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::cards::{labelled, touch_cards};
use super::convert::{comment_from_row, comment_to_row, label_from_row, label_to_row};
use super::versioned;
use crate::entity::{card_comment, card_label, label};
use crate::error::RepoResult;

pub(super) async fn get_label<C: ConnectionTrait>(conn: &C, id: LabelId) -> Result<Label, RepoError> {
    label_from_row(&label::Entity::find_by_id(id.as_uuid()).one(conn).await.repo()?.ok_or(RepoError::NotFound)?)
}

pub(super) async fn list_labels<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    page: PageRequest,
) -> Result<Page<Label>, RepoError> {
    let mut query = label::Entity::find()
        .filter(label::Column::BoardId.eq(board.as_uuid()))
        .order_by_asc(label::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = page.after() {
        query = query.filter(label::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.iter().map(label_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |l| l.id.as_uuid()))
}

/// Every label of a board, by id.
pub(super) async fn all_labels<C: ConnectionTrait>(conn: &C, board: BoardId) -> Result<Vec<Label>, RepoError> {
    label::Entity::find()
        .filter(label::Column::BoardId.eq(board.as_uuid()))
        .order_by_asc(label::Column::Id)
        .all(conn)
        .await
        .repo()?
        .iter()
        .map(label_from_row)
        .collect()
}

pub(super) async fn labels_on_board<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    labels: Vec<LabelId>,
) -> Result<Vec<LabelId>, RepoError> {
    let found: Vec<Uuid> = label::Entity::find()
        .select_only()
        .column(label::Column::Id)
        .filter(label::Column::BoardId.eq(board.as_uuid()))
        .filter(label::Column::Id.is_in(labels.into_iter().map(|l| l.as_uuid())))
        .into_tuple()
        .all(conn)
        .await
        .repo()?;
    Ok(found.into_iter().map(LabelId::from_uuid).collect())
}

pub(super) async fn insert_label<C: ConnectionTrait>(conn: &C, l: &Label) -> Result<(), RepoError> {
    label::Entity::insert(label_to_row(l).into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn update_label<C: ConnectionTrait>(conn: &C, l: &Label, expected: Version) -> Result<(), RepoError> {
    let mut row = label_to_row(l).into_active_model().reset_all();
    row.id = NotSet;
    row.board_id = NotSet;
    row.created_at = NotSet;
    let result = label::Entity::update_many()
        .set(row)
        .filter(label::Column::Id.eq(l.id.as_uuid()))
        .filter(label::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<label::Entity, _>(conn, result.rows_affected, l.id.as_uuid()).await
}

pub(super) async fn delete_label<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    id: LabelId,
    expected: Version,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    touch_cards(conn, labelled(board, id), at).await?;
    // The foreign key cascades too; deleting explicitly uses the (board, label) index and keeps
    // this true on a SQLite connection opened without `PRAGMA foreign_keys`.
    card_label::Entity::delete_many()
        .filter(card_label::Column::BoardId.eq(board.as_uuid()))
        .filter(card_label::Column::LabelId.eq(id.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    let result = label::Entity::delete_many()
        .filter(label::Column::Id.eq(id.as_uuid()))
        .filter(label::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<label::Entity, _>(conn, result.rows_affected, id.as_uuid()).await
}

pub(super) async fn get_comment<C: ConnectionTrait>(conn: &C, id: CommentId) -> Result<Comment, RepoError> {
    let row = card_comment::Entity::find_by_id(id.as_uuid()).one(conn).await.repo()?.ok_or(RepoError::NotFound)?;
    comment_from_row(&row)
}

pub(super) async fn list_comments<C: ConnectionTrait>(
    conn: &C,
    card: CardId,
    page: PageRequest,
) -> Result<Page<Comment>, RepoError> {
    let mut query = card_comment::Entity::find()
        .filter(card_comment::Column::CardId.eq(card.as_uuid()))
        .order_by_asc(card_comment::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = page.after() {
        query = query.filter(card_comment::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.iter().map(comment_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |c| c.id.as_uuid()))
}

pub(super) async fn insert_comment<C: ConnectionTrait>(conn: &C, c: &Comment) -> Result<(), RepoError> {
    card_comment::Entity::insert(comment_to_row(c).into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn update_comment<C: ConnectionTrait>(
    conn: &C,
    c: &Comment,
    expected: Version,
) -> Result<(), RepoError> {
    let mut row = comment_to_row(c).into_active_model().reset_all();
    row.id = NotSet;
    row.card_id = NotSet;
    row.board_id = NotSet;
    row.author_id = NotSet;
    row.created_at = NotSet;
    let result = card_comment::Entity::update_many()
        .set(row)
        .filter(card_comment::Column::Id.eq(c.id.as_uuid()))
        .filter(card_comment::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<card_comment::Entity, _>(conn, result.rows_affected, c.id.as_uuid()).await
}

pub(super) async fn delete_comment<C: ConnectionTrait>(
    conn: &C,
    id: CommentId,
    expected: Version,
) -> Result<(), RepoError> {
    let result = card_comment::Entity::delete_many()
        .filter(card_comment::Column::Id.eq(id.as_uuid()))
        .filter(card_comment::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<card_comment::Entity, _>(conn, result.rows_affected, id.as_uuid()).await
}
