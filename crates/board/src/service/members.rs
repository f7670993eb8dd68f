//! Members: who may see and change a board. Owners manage them; a board always keeps at least
//! one owner.

use kernel::{BoardId, Caller, Changes, Page, PageRequest, UserId};
use serde_json::Value;

use super::{BoardService, Subject, role_in};
use crate::error::BoardError;
use crate::model::{Board, BoardRole, Member, NewMember};
use crate::ports::BoardTx;

const LAST_OWNER: &str = "a board must keep at least one owner";

impl BoardService {
    /// The members of a board, by user id.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn list_members(
        &self,
        caller: &Caller,
        board_id: BoardId,
        page: PageRequest,
    ) -> Result<Page<Member>, BoardError> {
        self.role_on(caller, board_id, BoardRole::Viewer).await?;
        Ok(self.store.list_members(board_id, page).await?)
    }

    /// Adds an existing user to a board (owners only).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id, user_id = %input.user_id), err(level = "debug"))]
    pub async fn add_member(&self, caller: &Caller, board_id: BoardId, input: NewMember) -> Result<Member, BoardError> {
        // Asked through the pool before the unit of work opens (see the module docs); the
        // membership check here only keeps strangers from probing which users exist.
        self.role_on(caller, board_id, BoardRole::Owner).await?;
        if !self.users.user_exists(input.user_id).await? {
            return Err(BoardError::invalid("user_id", "no such user"));
        }
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Owner).await?;
        tx.lock_board(board_id).await?;
        if tx.membership(board_id, input.user_id).await?.is_some() {
            return Err(BoardError::Conflict("the user is already a member of this board".into()));
        }
        let now = self.now();
        let member = Member { board_id, user_id: input.user_id, role: input.role, created_at: now, updated_at: now };
        tx.insert_member(&member).await?;
        let changes = Changes::new().set("role", member.role.as_str());
        self.finish(tx, caller, "member.added", Subject::member(board_id, member.user_id), changes).await?;
        Ok(member)
    }

    /// Changes a member's role (owners only). The last owner cannot be demoted.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id, %user_id), err(level = "debug"))]
    pub async fn update_member_role(
        &self,
        caller: &Caller,
        board_id: BoardId,
        user_id: UserId,
        role: BoardRole,
    ) -> Result<Member, BoardError> {
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Owner).await?;
        let board = tx.lock_board(board_id).await?;
        let current = tx.get_member(board_id, user_id).await?;
        if current.role == role {
            return Ok(current);
        }
        let mut changes = Changes::new().diff("role", current.role.as_str(), role.as_str());
        if current.role == BoardRole::Owner {
            changes = self.hand_over(&*tx, &board, user_id, changes).await?;
        }
        let next = Member { role, updated_at: self.now(), ..current };
        tx.update_member(&next).await?;
        self.finish(tx, caller, "member.role_changed", Subject::member(board_id, user_id), changes).await?;
        Ok(next)
    }

    /// Removes a member. Owners remove anyone; any member may leave. The last owner cannot.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id, %user_id), err(level = "debug"))]
    pub async fn remove_member(&self, caller: &Caller, board_id: BoardId, user_id: UserId) -> Result<(), BoardError> {
        let tx = self.store.begin().await?;
        let role = role_in(&*tx, caller, board_id, BoardRole::Viewer).await?;
        if role != BoardRole::Owner && user_id != caller.user_id {
            return Err(BoardError::Forbidden);
        }
        let board = tx.lock_board(board_id).await?;
        let current = tx.get_member(board_id, user_id).await?;
        let mut changes = Changes::new().diff("role", current.role.as_str(), Value::Null);
        if current.role == BoardRole::Owner {
            changes = self.hand_over(&*tx, &board, user_id, changes).await?;
        }
        tx.delete_member(board_id, user_id, self.now()).await?;
        self.finish(tx, caller, "member.removed", Subject::member(board_id, user_id), changes).await
    }

    /// `leaving` stops being an owner: refuses when nobody else owns the board, and makes
    /// another owner the board's principal owner when `leaving` was it.
    async fn hand_over(
        &self,
        tx: &dyn BoardTx,
        board: &Board,
        leaving: UserId,
        changes: Changes,
    ) -> Result<Changes, BoardError> {
        let Some(successor) = tx.other_owner(board.id, leaving).await? else {
            return Err(BoardError::Conflict(LAST_OWNER.into()));
        };
        if board.owner_id != leaving {
            return Ok(changes);
        }
        let next =
            Board { owner_id: successor, version: board.version.next(), updated_at: self.now(), ..board.clone() };
        tx.update_board(&next, board.version).await.map_err(BoardError::stale_write(false))?;
        Ok(changes.diff("board.owner_id", board.owner_id.to_string(), successor.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use kernel::{UserId, Version};
    use uuid::Uuid;

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::{BoardRole, NewMember};
    use crate::ports::{MockBoardStore, MockBoardTx, MockUserDirectory};

    const NEWCOMER: UserId = UserId::from_uuid(Uuid::from_u128(0xA9));

    fn users(exists: bool) -> MockUserDirectory {
        let mut users = MockUserDirectory::new();
        users.expect_user_exists().returning(move |_| Ok(exists));
        users
    }

    fn service_for(tx: MockBoardTx, users: MockUserDirectory) -> super::BoardService {
        let mut store: MockBoardStore = store();
        store.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
        service(store, users)
    }

    fn add(role: BoardRole) -> NewMember {
        NewMember { user_id: NEWCOMER, role }
    }

    #[tokio::test]
    async fn owners_add_existing_users() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_insert_member()
            .times(1)
            .withf(|m| m.user_id == NEWCOMER && m.role == BoardRole::Editor)
            .returning(|_| Ok(()));
        expect_event(&mut tx, "member.added");
        let member =
            service_for(tx, users(true)).add_member(&caller(OWNER), BOARD, add(BoardRole::Editor)).await.unwrap();
        assert_eq!(member.created_at, t0());
    }

    #[tokio::test]
    async fn adding_an_unknown_user_is_invalid_on_user_id() {
        let mut store = store();
        store.expect_begin().never();
        let err =
            service(store, users(false)).add_member(&caller(OWNER), BOARD, add(BoardRole::Viewer)).await.unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "user_id", .. }));
    }

    #[tokio::test]
    async fn editors_cannot_add_members() {
        let mut store = store();
        store.expect_begin().never();
        let mut directory = MockUserDirectory::new();
        directory.expect_user_exists().never();
        let err =
            service(store, directory).add_member(&caller(EDITOR), BOARD, add(BoardRole::Viewer)).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn adding_a_member_twice_is_a_conflict() {
        let mut tx = MockBoardTx::new();
        tx.expect_membership()
            .returning(|_, user| Ok(if user == NEWCOMER { Some(BoardRole::Viewer) } else { role_of(user) }));
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_insert_member().never();
        expect_rollback(&mut tx);
        let err =
            service_for(tx, users(true)).add_member(&caller(OWNER), BOARD, add(BoardRole::Editor)).await.unwrap_err();
        assert!(matches!(err, BoardError::Conflict(_)));
    }

    #[tokio::test]
    async fn the_last_owner_cannot_be_demoted() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_get_member().returning(|_, _| Ok(member(OWNER, BoardRole::Owner)));
        tx.expect_other_owner().returning(|_, _| Ok(None));
        tx.expect_update_member().never();
        expect_rollback(&mut tx);
        let err =
            service_with(tx).update_member_role(&caller(OWNER), BOARD, OWNER, BoardRole::Editor).await.unwrap_err();
        assert!(matches!(err, BoardError::Conflict(_)));
    }

    #[tokio::test]
    async fn the_last_owner_cannot_be_removed() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_get_member().returning(|_, _| Ok(member(OWNER, BoardRole::Owner)));
        tx.expect_other_owner().returning(|_, _| Ok(None));
        tx.expect_delete_member().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).remove_member(&caller(OWNER), BOARD, OWNER).await.unwrap_err();
        assert!(matches!(err, BoardError::Conflict(_)));
    }

    #[tokio::test]
    async fn demoting_the_principal_owner_hands_the_board_to_another_owner() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_get_member().returning(|_, _| Ok(member(OWNER, BoardRole::Owner)));
        tx.expect_other_owner().returning(|_, _| Ok(Some(EDITOR)));
        tx.expect_update_member().times(1).withf(|m| m.role == BoardRole::Viewer).returning(|_| Ok(()));
        tx.expect_update_board()
            .times(1)
            .withf(|b, expected| b.owner_id == EDITOR && *expected == Version::new(3))
            .returning(|_, _| Ok(()));
        expect_event(&mut tx, "member.role_changed");
        let member =
            service_with(tx).update_member_role(&caller(OWNER), BOARD, OWNER, BoardRole::Viewer).await.unwrap();
        assert_eq!(member.role, BoardRole::Viewer);
    }

    #[tokio::test]
    async fn promoting_a_member_needs_no_hand_over() {
        let mut tx = tx();
        tx.expect_lock_board().returning(|_| Ok(board()));
        tx.expect_get_member().returning(|_, _| Ok(member(VIEWER, BoardRole::Viewer)));
        tx.expect_other_owner().never();
        tx.expect_update_member().times(1).returning(|_| Ok(()));
        expect_event(&mut tx, "member.role_changed");
        service_with(tx).update_member_role(&caller(OWNER), BOARD, VIEWER, BoardRole::Owner).await.unwrap();
    }

    #[tokio::test]
    async fn members_may_leave_but_not_remove_others() {
        let mut leaving = tx();
        leaving.expect_lock_board().returning(|_| Ok(board()));
        leaving.expect_get_member().returning(|_, _| Ok(member(VIEWER, BoardRole::Viewer)));
        leaving.expect_delete_member().times(1).returning(|_, _, _| Ok(()));
        expect_event(&mut leaving, "member.removed");
        service_with(leaving).remove_member(&caller(VIEWER), BOARD, VIEWER).await.unwrap();

        let mut refused = tx();
        refused.expect_delete_member().never();
        expect_rollback(&mut refused);
        let err = service_with(refused).remove_member(&caller(EDITOR), BOARD, VIEWER).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn strangers_cannot_list_members() {
        let err = service(store(), MockUserDirectory::new())
            .list_members(&caller(STRANGER), BOARD, kernel::PageRequest::first())
            .await
            .unwrap_err();
        assert!(matches!(err, BoardError::NotFound));
    }
}
