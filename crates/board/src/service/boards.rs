//! Boards: create, list, read whole, change, delete.

use chrono::{DateTime, Utc};
use kernel::{BoardId, Caller, Changes, Page, PageRequest, Version};
use serde_json::Value;

use super::{BoardService, Subject, check_version, require, role_in};
use crate::error::BoardError;
use crate::model::{
    Board, BoardChanges, BoardRole, BoardView, BoardViewRead, Member, NewBoard, Overview, OverviewLimits, Revision,
};

impl BoardService {
    /// Creates a board; the caller becomes its owner.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn create_board(&self, caller: &Caller, input: NewBoard) -> Result<Board, BoardError> {
        let now = self.now();
        let board = Board {
            id: BoardId::from_uuid(self.new_id()),
            name: input.name,
            description: input.description,
            owner_id: caller.user_id,
            archived: false,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        let owner = Member {
            board_id: board.id,
            user_id: caller.user_id,
            role: BoardRole::Owner,
            created_at: now,
            updated_at: now,
        };
        let tx = self.store.begin().await?;
        tx.insert_board(&board).await?;
        tx.insert_member(&owner).await?;
        let changes = Changes::new()
            .set("name", board.name.as_str())
            .set("description", board.description.as_str())
            .set("owner_id", board.owner_id.to_string());
        self.finish(tx, caller, "board.created", Subject::board(&board), changes).await?;
        Ok(board)
    }

    /// The boards the caller is a member of, by id.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn list_boards(&self, caller: &Caller, page: PageRequest) -> Result<Page<Board>, BoardError> {
        Ok(self.store.list_boards_for_user(caller.user_id, page).await?)
    }

    /// The caller's boards at a glance (see [`crate::BoardStore::overview`]): for their dashboard.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn overview(
        &self,
        caller: &Caller,
        now: DateTime<Utc>,
        due_until: DateTime<Utc>,
        limits: OverviewLimits,
    ) -> Result<Overview, BoardError> {
        Ok(self.store.overview(caller.user_id, now, due_until, limits).await?)
    }

    /// The whole board: members, labels, columns and their open cards.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn get_board(&self, caller: &Caller, board_id: BoardId) -> Result<BoardView, BoardError> {
        // Membership first, so a stranger cannot make us load a large board.
        self.role_on(caller, board_id, BoardRole::Viewer).await?;
        Ok(self.store.get_board_view(board_id).await?)
    }

    /// The whole board, unless the caller's copy read at revision `known` is still exact: then
    /// one read of the revision instead of the whole view. Access is checked either way.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn get_board_unless(
        &self,
        caller: &Caller,
        board_id: BoardId,
        known: Revision,
    ) -> Result<BoardViewRead, BoardError> {
        let (role, revision) = self.store.membership_and_revision(board_id, caller.user_id).await?.unzip();
        require(role, BoardRole::Viewer)?;
        if revision == Some(known) {
            return Ok(BoardViewRead::Unchanged);
        }
        Ok(BoardViewRead::Changed(Box::new(self.store.get_board_view(board_id).await?)))
    }

    /// Renames, re-describes, archives or restores a board (editors and owners). A change that
    /// changes nothing returns the board as it is, without a new version or event.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn update_board(
        &self,
        caller: &Caller,
        board_id: BoardId,
        changes: BoardChanges,
        expected: Option<Version>,
    ) -> Result<Board, BoardError> {
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Editor).await?;
        let current = tx.lock_board(board_id).await?;
        check_version(current.version, expected)?;
        let mut next = current.clone();
        if let Some(name) = changes.name {
            next.name = name;
        }
        if let Some(description) = changes.description {
            next.description = description;
        }
        if let Some(archived) = changes.archived {
            next.archived = archived;
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version.next();
        next.updated_at = self.now();
        tx.update_board(&next, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new()
            .diff("name", current.name.as_str(), next.name.as_str())
            .diff("description", current.description.as_str(), next.description.as_str())
            .diff("archived", current.archived, next.archived);
        self.finish(tx, caller, "board.updated", Subject::board(&next), changes).await?;
        Ok(next)
    }

    /// Deletes a board and everything on it (owners only).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn delete_board(
        &self,
        caller: &Caller,
        board_id: BoardId,
        expected: Option<Version>,
    ) -> Result<(), BoardError> {
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Owner).await?;
        let current = tx.lock_board(board_id).await?;
        check_version(current.version, expected)?;
        tx.delete_board(board_id, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("name", current.name.as_str(), Value::Null);
        self.finish(tx, caller, "board.deleted", Subject::board(&current), changes).await
    }
}

#[cfg(test)]
mod tests {
    use kernel::{Actor, BoardId, Page, PageRequest, UserId, Version};

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::{BoardChanges, BoardName, BoardRole, BoardView, BoardViewRead, Description, NewBoard, Revision};
    use crate::ports::{MockBoardStore, MockBoardTx, MockUserDirectory};

    fn new_board() -> NewBoard {
        NewBoard { name: BoardName::parse("Launch").unwrap(), description: Description::parse("Q3").unwrap() }
    }

    #[tokio::test]
    async fn creating_a_board_makes_the_creator_its_owner_and_records_one_event() {
        let mut tx = MockBoardTx::new();
        tx.expect_insert_board()
            .times(1)
            .withf(|b| b.owner_id == EDITOR && b.version == Version::FIRST)
            .returning(|_| Ok(()));
        tx.expect_insert_member()
            .times(1)
            .withf(|m| m.user_id == EDITOR && m.role == BoardRole::Owner)
            .returning(|_| Ok(()));
        tx.expect_record()
            .times(1)
            .withf(|e| {
                e.action == "board.created"
                    && e.resource_type == "board"
                    && e.actor == Actor::User(EDITOR)
                    && e.occurred_at == t0()
                    && e.changes.as_map()["name"]["after"] == "Launch"
            })
            .returning(|_| Ok(()));
        tx.expect_commit().times(1).returning(|| Ok(()));
        let board = service_with(tx).create_board(&caller(EDITOR), new_board()).await.unwrap();
        assert_eq!(board.name.as_str(), "Launch");
        assert_eq!((board.created_at, board.updated_at), (t0(), t0()));
    }

    #[tokio::test]
    async fn a_failed_insert_never_commits() {
        let mut tx = MockBoardTx::new();
        tx.expect_insert_board().returning(|_| Err(kernel::RepoError::Unavailable("down".into())));
        expect_rollback(&mut tx);
        let err = service_with(tx).create_board(&caller(EDITOR), new_board()).await.unwrap_err();
        assert!(matches!(err, BoardError::Unavailable(_)));
    }

    #[tokio::test]
    async fn strangers_cannot_tell_a_board_exists() {
        let mut store = store();
        store.expect_get_board_view().never();
        let err = service(store, MockUserDirectory::new()).get_board(&caller(STRANGER), BOARD).await.unwrap_err();
        assert!(matches!(err, BoardError::NotFound));
    }

    #[tokio::test]
    async fn viewers_read_the_whole_board() {
        let mut store = store();
        store.expect_get_board_view().times(1).returning(|_| Ok(empty_view(Revision::ZERO)));
        let view = service(store, MockUserDirectory::new()).get_board(&caller(VIEWER), BOARD).await.unwrap();
        assert_eq!(view.board.id, BOARD);
    }

    fn empty_view(revision: Revision) -> BoardView {
        BoardView { board: board(), revision, members: vec![], labels: vec![], columns: vec![], cards: vec![] }
    }

    /// The fixture role on [`BOARD`] with the board at `revision`.
    fn at_revision(board: BoardId, user: UserId, revision: u64) -> Option<(BoardRole, Revision)> {
        role_of(user).filter(|_| board == BOARD).map(|role| (role, Revision::new(revision)))
    }

    #[tokio::test]
    async fn an_exact_copy_costs_one_revision_read() {
        let mut store = store();
        store.expect_membership_and_revision().times(1).returning(|board, user| Ok(at_revision(board, user, 7)));
        store.expect_get_board_view().never();
        let read = service(store, MockUserDirectory::new())
            .get_board_unless(&caller(VIEWER), BOARD, Revision::new(7))
            .await
            .unwrap();
        assert_eq!(read, BoardViewRead::Unchanged);
    }

    #[tokio::test]
    async fn an_outdated_copy_gets_the_view_as_it_is_now() {
        let mut store = store();
        store.expect_membership_and_revision().times(1).returning(|board, user| Ok(at_revision(board, user, 8)));
        store.expect_get_board_view().times(1).returning(|_| Ok(empty_view(Revision::new(8))));
        let read = service(store, MockUserDirectory::new())
            .get_board_unless(&caller(VIEWER), BOARD, Revision::new(7))
            .await
            .unwrap();
        assert_eq!(read, BoardViewRead::Changed(Box::new(empty_view(Revision::new(8)))));
    }

    #[tokio::test]
    async fn strangers_learn_nothing_from_a_revision() {
        let mut store = store();
        store.expect_membership_and_revision().times(1).returning(|board, user| Ok(at_revision(board, user, 7)));
        store.expect_get_board_view().never();
        let err = service(store, MockUserDirectory::new())
            .get_board_unless(&caller(STRANGER), BOARD, Revision::new(7))
            .await
            .unwrap_err();
        assert!(matches!(err, BoardError::NotFound));
    }

    #[tokio::test]
    async fn listing_boards_asks_for_the_callers_boards_only() {
        let mut store = MockBoardStore::new();
        store
            .expect_list_boards_for_user()
            .times(1)
            .withf(|user, _| *user == VIEWER)
            .returning(|_, _| Ok(Page { items: vec![board()], next_cursor: None }));
        let page =
            service(store, MockUserDirectory::new()).list_boards(&caller(VIEWER), PageRequest::first()).await.unwrap();
        assert_eq!(page.items.len(), 1);
    }

    #[tokio::test]
    async fn editors_rename_a_board_and_its_version_grows() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_update_board()
            .times(1)
            .withf(|b, expected| {
                *expected == Version::new(3) && b.version == Version::new(4) && b.name.as_str() == "New"
            })
            .returning(|_, _| Ok(()));
        expect_event(&mut tx, "board.updated");
        let changes = BoardChanges { name: Some(BoardName::parse("New").unwrap()), ..BoardChanges::default() };
        let board =
            service_with(tx).update_board(&caller(EDITOR), BOARD, changes, Some(Version::new(3))).await.unwrap();
        assert_eq!(board.version, Version::new(4));
    }

    #[tokio::test]
    async fn viewers_cannot_change_a_board() {
        let mut tx = tx();
        expect_rollback(&mut tx);
        let changes = BoardChanges { archived: Some(true), ..BoardChanges::default() };
        let err = service_with(tx).update_board(&caller(VIEWER), BOARD, changes, None).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn a_stale_expected_version_is_a_mismatch_and_writes_nothing() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_update_board().never();
        expect_rollback(&mut tx);
        let changes = BoardChanges { archived: Some(true), ..BoardChanges::default() };
        let err =
            service_with(tx).update_board(&caller(OWNER), BOARD, changes, Some(Version::new(2))).await.unwrap_err();
        assert!(matches!(err, BoardError::VersionMismatch));
    }

    #[tokio::test]
    async fn a_concurrent_write_detected_by_the_store_is_a_mismatch() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_update_board().returning(|_, _| Err(kernel::RepoError::Conflict("stale".into())));
        expect_rollback(&mut tx);
        let changes = BoardChanges { archived: Some(true), ..BoardChanges::default() };
        let err =
            service_with(tx).update_board(&caller(OWNER), BOARD, changes, Some(Version::new(3))).await.unwrap_err();
        assert!(matches!(err, BoardError::VersionMismatch));
    }

    #[tokio::test]
    async fn a_change_that_changes_nothing_writes_nothing() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_update_board().never();
        expect_rollback(&mut tx);
        let changes = BoardChanges { archived: Some(false), ..BoardChanges::default() };
        let same = service_with(tx).update_board(&caller(OWNER), BOARD, changes, None).await.unwrap();
        assert_eq!(same, board());
    }

    #[tokio::test]
    async fn only_owners_delete_a_board() {
        let mut refused = tx();
        expect_rollback(&mut refused);
        let err = service_with(refused).delete_board(&caller(EDITOR), BOARD, None).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));

        let mut allowed = tx();
        allowed.expect_lock_board().returning(|_| Ok(board()));
        allowed.expect_delete_board().times(1).returning(|_, _| Ok(()));
        expect_event(&mut allowed, "board.deleted");
        service_with(allowed).delete_board(&caller(OWNER), BOARD, Some(Version::new(3))).await.unwrap();
    }
}
