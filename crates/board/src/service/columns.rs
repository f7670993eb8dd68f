//! Columns: create (appended), read, change (rename, limit, move), delete when empty.
//!
//! Lock order, to stay deadlock-free on PostgreSQL: the board row before a column row, as
//! deleting a board (which cascades to its columns) does.

use kernel::{BoardId, Caller, Changes, ColumnId, Version};
use serde_json::Value;

use super::placement::{Anchors, place};
use super::{BoardService, Subject, check_version, role_in};
use crate::error::BoardError;
use crate::model::{BoardRole, Column, ColumnChanges, ColumnMove, NewColumn, WipLimit};
use crate::ports::{BoardTx, Siblings};

impl BoardService {
    /// Appends a column to a board (editors and owners).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn create_column(
        &self,
        caller: &Caller,
        board_id: BoardId,
        input: NewColumn,
    ) -> Result<Column, BoardError> {
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Editor).await?;
        // Serialises rank choices among the board's columns.
        tx.lock_board(board_id).await?;
        let id = ColumnId::from_uuid(self.new_id());
        let rank = place(&*tx, Siblings::Columns(board_id), id.as_uuid(), &Anchors::end()).await?;
        let now = self.now();
        let column = Column {
            id,
            board_id,
            name: input.name,
            rank,
            wip_limit: input.wip_limit,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        tx.insert_column(&column).await?;
        let changes = Changes::new()
            .set("name", column.name.as_str())
            .set("wip_limit", column.wip_limit.map(WipLimit::get))
            .set("rank", column.rank.as_str());
        self.finish(tx, caller, "column.created", Subject::column(&column), changes).await?;
        Ok(column)
    }

    /// One column.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%column_id), err(level = "debug"))]
    pub async fn get_column(&self, caller: &Caller, column_id: ColumnId) -> Result<Column, BoardError> {
        let column = self.store.get_column(column_id).await?;
        self.role_on(caller, column.board_id, BoardRole::Viewer).await?;
        Ok(column)
    }

    /// Renames a column, sets or clears its WIP limit, or moves it among the board's columns
    /// (editors and owners). Lowering a limit below the column's current card count is
    /// allowed: the limit only stops cards coming in. A change that changes nothing writes
    /// nothing.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%column_id), err(level = "debug"))]
    pub async fn update_column(
        &self,
        caller: &Caller,
        column_id: ColumnId,
        changes: ColumnChanges,
        expected: Option<Version>,
    ) -> Result<Column, BoardError> {
        let tx = self.store.begin().await?;
        let board_id = tx.get_column(column_id).await?.board_id;
        role_in(&*tx, caller, board_id, BoardRole::Editor).await?;
        if changes.position.is_some() {
            tx.lock_board(board_id).await?;
        }
        let current = tx.lock_column(column_id).await?;
        check_version(current.version, expected)?;
        let mut next = current.clone();
        if let Some(name) = changes.name {
            next.name = name;
        }
        if let Some(wip_limit) = changes.wip_limit {
            next.wip_limit = wip_limit;
        }
        if let Some(position) = changes.position {
            let anchors = column_anchors(&*tx, &current, position).await?;
            next.rank = place(&*tx, Siblings::Columns(board_id), column_id.as_uuid(), &anchors).await?;
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version.next();
        next.updated_at = self.now();
        tx.update_column(&next, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let only_moved = next.name == current.name && next.wip_limit == current.wip_limit;
        let action = if only_moved { "column.moved" } else { "column.updated" };
        let changes = Changes::new()
            .diff("name", current.name.as_str(), next.name.as_str())
            .diff("wip_limit", current.wip_limit.map(WipLimit::get), next.wip_limit.map(WipLimit::get))
            .diff("rank", current.rank.as_str(), next.rank.as_str());
        self.finish(tx, caller, action, Subject::column(&next), changes).await?;
        Ok(next)
    }

    /// Deletes a column that holds no cards, archived ones included (editors and owners):
    /// cards are never deleted as a side effect.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%column_id), err(level = "debug"))]
    pub async fn delete_column(
        &self,
        caller: &Caller,
        column_id: ColumnId,
        expected: Option<Version>,
    ) -> Result<(), BoardError> {
        let tx = self.store.begin().await?;
        let board_id = tx.get_column(column_id).await?.board_id;
        role_in(&*tx, caller, board_id, BoardRole::Editor).await?;
        tx.lock_board(board_id).await?;
        let current = tx.lock_column(column_id).await?;
        check_version(current.version, expected)?;
        if tx.count_cards(column_id, true).await? > 0 {
            return Err(BoardError::Conflict("the column still holds cards; move or delete them first".into()));
        }
        tx.delete_column(column_id, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("name", current.name.as_str(), Value::Null);
        self.finish(tx, caller, "column.deleted", Subject::column(&current), changes).await
    }
}

/// Resolves the columns a moved column is placed next to: they must be other columns of the
/// same board.
async fn column_anchors(tx: &dyn BoardTx, moving: &Column, position: ColumnMove) -> Result<Anchors, BoardError> {
    Ok(Anchors {
        before: column_anchor(tx, moving, "before_id", position.before_id).await?,
        after: column_anchor(tx, moving, "after_id", position.after_id).await?,
    })
}

async fn column_anchor(
    tx: &dyn BoardTx,
    moving: &Column,
    field: &'static str,
    id: Option<ColumnId>,
) -> Result<Option<(uuid::Uuid, crate::rank::Rank)>, BoardError> {
    let Some(id) = id else { return Ok(None) };
    if id == moving.id {
        return Err(BoardError::invalid(field, "a column cannot be placed next to itself"));
    }
    match tx.get_column(id).await {
        Ok(column) if column.board_id == moving.board_id => Ok(Some((id.as_uuid(), column.rank))),
        Ok(_) | Err(kernel::RepoError::NotFound) => Err(BoardError::invalid(field, "no such column on this board")),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use kernel::{RepoError, Version};

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::{ColumnChanges, ColumnMove, ColumnName, NewColumn, WipLimit};

    fn new_column() -> NewColumn {
        NewColumn { name: ColumnName::parse("Done").unwrap(), wip_limit: None }
    }

    #[tokio::test]
    async fn a_new_column_is_appended_after_the_last_one() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_rank_before().withf(|_, bound, _| bound.is_none()).returning(|_, _, _| Ok(Some(rank("W"))));
        tx.expect_insert_column().times(1).withf(|c| c.rank == rank("X")).returning(|_| Ok(()));
        expect_event(&mut tx, "column.created");
        let column = service_with(tx).create_column(&caller(EDITOR), BOARD, new_column()).await.unwrap();
        assert_eq!(column.version, Version::FIRST);
    }

    #[tokio::test]
    async fn viewers_cannot_create_columns() {
        let mut tx = tx();
        tx.expect_insert_column().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).create_column(&caller(VIEWER), BOARD, new_column()).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn clearing_a_wip_limit_is_an_update() {
        let mut tx = tx();
        tx.expect_get_column().returning(|_| Ok(column(COLUMN, Some(3))));
        tx.expect_lock_column().returning(|_| Ok(column(COLUMN, Some(3))));
        tx.expect_lock_board().never();
        tx.expect_update_column().times(1).withf(|c, _| c.wip_limit.is_none()).returning(|_, _| Ok(()));
        expect_event(&mut tx, "column.updated");
        let changes = ColumnChanges { wip_limit: Some(None), ..ColumnChanges::default() };
        let column = service_with(tx).update_column(&caller(EDITOR), COLUMN, changes, None).await.unwrap();
        assert_eq!(column.version, Version::new(3));
    }

    #[tokio::test]
    async fn moving_a_column_in_front_of_another_writes_one_row() {
        let mut tx = tx();
        tx.expect_get_column().returning(|id| Ok(column(id, None)));
        tx.expect_lock_board().times(1).returning(|_| Ok(board()));
        tx.expect_lock_column().returning(|id| Ok(column(id, None)));
        // OTHER_COLUMN is at "W" and a third column at "A" precedes it.
        tx.expect_rank_before().withf(|_, bound, _| *bound == Some(rank("W"))).returning(|_, _, _| Ok(Some(rank("A"))));
        tx.expect_set_ranks().never();
        tx.expect_update_column()
            .times(1)
            .withf(|c, _| rank("A") < c.rank && c.rank < rank("W"))
            .returning(|_, _| Ok(()));
        expect_event(&mut tx, "column.moved");
        let changes = ColumnChanges {
            position: Some(ColumnMove { before_id: Some(OTHER_COLUMN), after_id: None }),
            ..ColumnChanges::default()
        };
        service_with(tx).update_column(&caller(EDITOR), COLUMN, changes, Some(Version::new(2))).await.unwrap();
    }

    #[tokio::test]
    async fn a_column_cannot_be_placed_next_to_itself() {
        let mut tx = tx();
        tx.expect_get_column().returning(|id| Ok(column(id, None)));
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_lock_column().returning(|id| Ok(column(id, None)));
        expect_rollback(&mut tx);
        let changes = ColumnChanges {
            position: Some(ColumnMove { before_id: None, after_id: Some(COLUMN) }),
            ..ColumnChanges::default()
        };
        let err = service_with(tx).update_column(&caller(EDITOR), COLUMN, changes, None).await.unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "after_id", .. }));
    }

    #[tokio::test]
    async fn a_stale_column_version_is_a_mismatch() {
        let mut tx = tx();
        tx.expect_get_column().returning(|id| Ok(column(id, None)));
        tx.expect_lock_column().returning(|id| Ok(column(id, None)));
        tx.expect_update_column().never();
        expect_rollback(&mut tx);
        let changes = ColumnChanges { wip_limit: Some(Some(WipLimit::parse(2).unwrap())), ..ColumnChanges::default() };
        let err =
            service_with(tx).update_column(&caller(OWNER), COLUMN, changes, Some(Version::new(1))).await.unwrap_err();
        assert!(matches!(err, BoardError::VersionMismatch));
    }

    #[tokio::test]
    async fn a_column_in_another_board_is_not_found_for_strangers() {
        let mut tx = tx();
        tx.expect_get_column().returning(|_| Err(RepoError::NotFound));
        expect_rollback(&mut tx);
        let err = service_with(tx).delete_column(&caller(OWNER), COLUMN, None).await.unwrap_err();
        assert!(matches!(err, BoardError::NotFound));
    }

    #[tokio::test]
    async fn a_column_with_cards_cannot_be_deleted() {
        let mut tx = tx();
        tx.expect_get_column().returning(|id| Ok(column(id, None)));
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_lock_column().returning(|id| Ok(column(id, None)));
        tx.expect_count_cards().withf(|_, archived| *archived).returning(|_, _| Ok(1));
        tx.expect_delete_column().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).delete_column(&caller(EDITOR), COLUMN, None).await.unwrap_err();
        assert!(matches!(err, BoardError::Conflict(_)));
    }

    #[tokio::test]
    async fn an_empty_column_is_deleted() {
        let mut tx = tx();
        tx.expect_get_column().returning(|id| Ok(column(id, None)));
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_lock_column().returning(|id| Ok(column(id, None)));
        tx.expect_count_cards().returning(|_, _| Ok(0));
        tx.expect_delete_column().times(1).withf(|_, v| *v == Version::new(2)).returning(|_, _| Ok(()));
        expect_event(&mut tx, "column.deleted");
        service_with(tx).delete_column(&caller(EDITOR), COLUMN, None).await.unwrap();
    }
}
