//! Cards: create (appended to a column), read, list, change, delete. Moves live in `moves.rs`.

use kernel::{BoardId, Caller, CardId, Changes, ColumnId, LabelId, Page, PageRequest, RepoError, UserId, Version};
use serde_json::Value;

use super::placement::{Anchors, place};
use super::{BoardService, Subject, check_version, id_list, normalise, role_in};
use crate::error::BoardError;
use crate::model::{BoardRole, Card, CardChanges, CardFilter, Column, NewCard};
use crate::ports::{BoardTx, Siblings};

impl BoardService {
    /// Appends a card to a column of the board (editors and owners), within the column's WIP
    /// limit. Labels must be the board's; assignees must be its members.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id, column_id = %input.column_id), err(level = "debug"))]
    pub async fn create_card(&self, caller: &Caller, board_id: BoardId, input: NewCard) -> Result<Card, BoardError> {
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Editor).await?;
        let column = column_of_board(&*tx, board_id, input.column_id, "column_id").await?;
        check_wip(&*tx, &column).await?;
        let labels = check_labels(&*tx, board_id, input.labels).await?;
        let assignees = check_assignees(&*tx, board_id, input.assignees).await?;
        let id = CardId::from_uuid(self.new_id());
        let rank = place(&*tx, Siblings::Cards(column.id), id.as_uuid(), &Anchors::end()).await?;
        let now = self.now();
        let card = Card {
            id,
            board_id,
            column_id: column.id,
            title: input.title,
            description: input.description,
            rank,
            labels,
            assignees,
            due_at: input.due_at,
            archived: false,
            version: Version::FIRST,
            created_by: caller.user_id,
            created_at: now,
            updated_at: now,
        };
        tx.insert_card(&card).await?;
        let changes = Changes::new()
            .set("title", card.title.as_str())
            .set("description", card.description.as_str())
            .set("column_id", card.column_id.to_string())
            .set("rank", card.rank.as_str())
            .set("labels", id_list(&card.labels))
            .set("assignees", id_list(&card.assignees))
            .set("due_at", card.due_at.map(|d| d.to_rfc3339()));
        self.finish(tx, caller, "card.created", Subject::card(&card), changes).await?;
        Ok(card)
    }

    /// One card.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%card_id), err(level = "debug"))]
    pub async fn get_card(&self, caller: &Caller, card_id: CardId) -> Result<Card, BoardError> {
        let card = self.store.get_card(card_id).await?;
        self.role_on(caller, card.board_id, BoardRole::Viewer).await?;
        Ok(card)
    }

    /// The board's cards matching `filter`, by id.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn list_cards(
        &self,
        caller: &Caller,
        board_id: BoardId,
        filter: CardFilter,
        page: PageRequest,
    ) -> Result<Page<Card>, BoardError> {
        self.role_on(caller, board_id, BoardRole::Viewer).await?;
        Ok(self.store.list_cards(board_id, filter, page).await?)
    }

    /// Changes a card's content, labels, assignees, due date, or archives or restores it
    /// (editors and owners). Restoring counts against the column's WIP limit. A change that
    /// changes nothing writes nothing.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%card_id), err(level = "debug"))]
    pub async fn update_card(
        &self,
        caller: &Caller,
        card_id: CardId,
        changes: CardChanges,
        expected: Option<Version>,
    ) -> Result<Card, BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_card(card_id).await?;
        role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        check_version(current.version, expected)?;
        let mut next = current.clone();
        if let Some(title) = changes.title {
            next.title = title;
        }
        if let Some(description) = changes.description {
            next.description = description;
        }
        if let Some(due_at) = changes.due_at {
            next.due_at = due_at;
        }
        if let Some(labels) = changes.labels {
            next.labels = check_labels(&*tx, current.board_id, labels).await?;
        }
        if let Some(assignees) = changes.assignees {
            next.assignees = check_assignees(&*tx, current.board_id, assignees).await?;
        }
        if let Some(archived) = changes.archived {
            if current.archived && !archived {
                check_wip(&*tx, &tx.lock_column(current.column_id).await?).await?;
            }
            next.archived = archived;
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version.next();
        next.updated_at = self.now();
        tx.update_card(&next, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        if next.labels != current.labels {
            tx.set_card_labels(next.board_id, card_id, next.labels.clone()).await?;
        }
        if next.assignees != current.assignees {
            tx.set_card_assignees(next.board_id, card_id, next.assignees.clone()).await?;
        }
        let changes = Changes::new()
            .diff("title", current.title.as_str(), next.title.as_str())
            .diff("description", current.description.as_str(), next.description.as_str())
            .diff("due_at", current.due_at.map(|d| d.to_rfc3339()), next.due_at.map(|d| d.to_rfc3339()))
            .diff("labels", id_list(&current.labels), id_list(&next.labels))
            .diff("assignees", id_list(&current.assignees), id_list(&next.assignees))
            .diff("archived", current.archived, next.archived);
        self.finish(tx, caller, "card.updated", Subject::card(&next), changes).await?;
        Ok(next)
    }

    /// Deletes a card and its comments (editors and owners).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%card_id), err(level = "debug"))]
    pub async fn delete_card(
        &self,
        caller: &Caller,
        card_id: CardId,
        expected: Option<Version>,
    ) -> Result<(), BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_card(card_id).await?;
        role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        check_version(current.version, expected)?;
        tx.delete_card(card_id, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("title", current.title.as_str(), Value::Null);
        self.finish(tx, caller, "card.deleted", Subject::card(&current), changes).await
    }
}

/// The column `id`, locked, provided it belongs to `board`; anything else is an invalid
/// `field` (the caller is a member, so the column's absence is no secret).
pub(super) async fn column_of_board(
    tx: &dyn BoardTx,
    board: BoardId,
    id: ColumnId,
    field: &'static str,
) -> Result<Column, BoardError> {
    match tx.lock_column(id).await {
        Ok(column) if column.board_id == board => Ok(column),
        Ok(_) | Err(RepoError::NotFound) => Err(BoardError::invalid(field, "no such column on this board")),
        Err(other) => Err(other.into()),
    }
}

/// Refuses one more open card in a (locked) column at its WIP limit.
pub(super) async fn check_wip(tx: &dyn BoardTx, column: &Column) -> Result<(), BoardError> {
    let Some(limit) = column.wip_limit else { return Ok(()) };
    if tx.count_cards(column.id, false).await? >= u64::from(limit.get()) {
        return Err(BoardError::WipLimitExceeded { column_id: column.id, limit: limit.get() });
    }
    Ok(())
}

async fn check_labels(tx: &dyn BoardTx, board: BoardId, labels: Vec<LabelId>) -> Result<Vec<LabelId>, BoardError> {
    let labels = normalise(labels);
    if labels.is_empty() {
        return Ok(labels);
    }
    let known = tx.labels_on_board(board, labels.clone()).await?;
    match labels.iter().find(|l| !known.contains(l)) {
        Some(unknown) => Err(BoardError::invalid("labels", format!("{unknown} is not a label of this board"))),
        None => Ok(labels),
    }
}

async fn check_assignees(tx: &dyn BoardTx, board: BoardId, users: Vec<UserId>) -> Result<Vec<UserId>, BoardError> {
    let users = normalise(users);
    if users.is_empty() {
        return Ok(users);
    }
    let members = tx.members_among(board, users.clone()).await?;
    match users.iter().find(|u| !members.contains(u)) {
        Some(stranger) => Err(BoardError::invalid("assignees", format!("{stranger} is not a member of this board"))),
        None => Ok(users),
    }
}

#[cfg(test)]
mod tests {
    use kernel::{LabelId, PageRequest, Version};
    use uuid::Uuid;

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::{CardChanges, CardFilter, CardTitle, Description, NewCard};
    use crate::ports::{MockBoardTx, MockUserDirectory};

    fn new_card() -> NewCard {
        NewCard {
            title: CardTitle::parse("Ship it").unwrap(),
            column_id: COLUMN,
            description: Description::empty(),
            labels: vec![LABEL, LABEL],
            assignees: vec![EDITOR],
            due_at: None,
        }
    }

    fn tx_with_column(wip: Option<u32>) -> MockBoardTx {
        let mut tx = tx();
        tx.expect_lock_column().returning(move |id| Ok(column(id, wip)));
        tx.expect_labels_on_board().returning(|_, labels| Ok(labels));
        tx.expect_members_among()
            .returning(|_, users| Ok(users.into_iter().filter(|u| role_of(*u).is_some()).collect()));
        tx
    }

    #[tokio::test]
    async fn a_new_card_is_appended_to_its_column_with_deduplicated_labels() {
        let mut tx = tx_with_column(Some(3));
        tx.expect_count_cards().withf(|_, archived| !archived).returning(|_, _| Ok(2));
        tx.expect_rank_before().returning(|_, _, _| Ok(Some(rank("a"))));
        tx.expect_insert_card()
            .times(1)
            .withf(|c| c.rank == rank("b") && c.labels == [LABEL] && c.created_by == EDITOR)
            .returning(|_| Ok(()));
        expect_event(&mut tx, "card.created");
        let card = service_with(tx).create_card(&caller(EDITOR), BOARD, new_card()).await.unwrap();
        assert_eq!(card.column_id, COLUMN);
    }

    #[tokio::test]
    async fn a_full_column_refuses_a_new_card() {
        let mut tx = tx_with_column(Some(2));
        tx.expect_count_cards().returning(|_, _| Ok(2));
        tx.expect_insert_card().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).create_card(&caller(EDITOR), BOARD, new_card()).await.unwrap_err();
        assert!(matches!(err, BoardError::WipLimitExceeded { column_id: COLUMN, limit: 2 }));
    }

    #[tokio::test]
    async fn assignees_must_be_members() {
        let mut tx = tx_with_column(None);
        expect_rollback(&mut tx);
        let input = NewCard { assignees: vec![STRANGER], ..new_card() };
        let err = service_with(tx).create_card(&caller(EDITOR), BOARD, input).await.unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "assignees", .. }));
    }

    #[tokio::test]
    async fn labels_must_belong_to_the_board() {
        let mut tx = tx();
        tx.expect_lock_column().returning(|id| Ok(column(id, None)));
        tx.expect_labels_on_board().returning(|_, _| Ok(vec![]));
        expect_rollback(&mut tx);
        let err = service_with(tx).create_card(&caller(EDITOR), BOARD, new_card()).await.unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "labels", .. }));
    }

    #[tokio::test]
    async fn a_column_of_another_board_is_invalid() {
        let mut tx = tx();
        tx.expect_lock_column().returning(|id| {
            let mut c = column(id, None);
            c.board_id = kernel::BoardId::from_uuid(Uuid::from_u128(0xBB));
            Ok(c)
        });
        expect_rollback(&mut tx);
        let err = service_with(tx).create_card(&caller(EDITOR), BOARD, new_card()).await.unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "column_id", .. }));
    }

    #[tokio::test]
    async fn strangers_cannot_read_a_card() {
        let mut store = store();
        store.expect_get_card().returning(|_| Ok(card(CARD, COLUMN, "V")));
        let err = service(store, MockUserDirectory::new()).get_card(&caller(STRANGER), CARD).await.unwrap_err();
        assert!(matches!(err, BoardError::NotFound));
    }

    #[tokio::test]
    async fn viewers_list_cards_with_filters() {
        let mut store = store();
        store
            .expect_list_cards()
            .times(1)
            .withf(|_, filter, _| filter.archived == Some(false))
            .returning(|_, _, _| Ok(kernel::Page { items: vec![], next_cursor: None }));
        let filter = CardFilter { archived: Some(false), ..CardFilter::default() };
        service(store, MockUserDirectory::new())
            .list_cards(&caller(VIEWER), BOARD, filter, PageRequest::first())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn changing_labels_rewrites_them_and_bumps_the_version() {
        let mut tx = tx_with_column(None);
        tx.expect_get_card().returning(|id| Ok(card(id, COLUMN, "V")));
        tx.expect_update_card()
            .times(1)
            .withf(|c, v| *v == Version::new(5) && c.version == Version::new(6))
            .returning(|_, _| Ok(()));
        tx.expect_set_card_labels().times(1).withf(|_, _, labels| *labels == [LABEL]).returning(|_, _, _| Ok(()));
        tx.expect_set_card_assignees().never();
        expect_event(&mut tx, "card.updated");
        let changes = CardChanges { labels: Some(vec![LABEL]), ..CardChanges::default() };
        let card = service_with(tx).update_card(&caller(OWNER), CARD, changes, Some(Version::new(5))).await.unwrap();
        assert_eq!(card.labels, [LABEL]);
    }

    #[tokio::test]
    async fn restoring_a_card_into_a_full_column_is_refused() {
        let mut tx = tx_with_column(Some(1));
        tx.expect_get_card().returning(|id| {
            let mut c = card(id, COLUMN, "V");
            c.archived = true;
            Ok(c)
        });
        tx.expect_count_cards().returning(|_, _| Ok(1));
        tx.expect_update_card().never();
        expect_rollback(&mut tx);
        let changes = CardChanges { archived: Some(false), ..CardChanges::default() };
        let err = service_with(tx).update_card(&caller(EDITOR), CARD, changes, None).await.unwrap_err();
        assert!(matches!(err, BoardError::WipLimitExceeded { .. }));
    }

    #[tokio::test]
    async fn viewers_cannot_change_cards() {
        let mut tx = tx();
        tx.expect_get_card().returning(|id| Ok(card(id, COLUMN, "V")));
        expect_rollback(&mut tx);
        let changes = CardChanges { title: Some(CardTitle::parse("x").unwrap()), ..CardChanges::default() };
        let err = service_with(tx).update_card(&caller(VIEWER), CARD, changes, None).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn a_stale_card_version_is_a_mismatch_on_delete() {
        let mut tx = tx();
        tx.expect_get_card().returning(|id| Ok(card(id, COLUMN, "V")));
        tx.expect_delete_card().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).delete_card(&caller(EDITOR), CARD, Some(Version::new(4))).await.unwrap_err();
        assert!(matches!(err, BoardError::VersionMismatch));
    }

    #[tokio::test]
    async fn editors_delete_cards() {
        let mut tx = tx();
        tx.expect_get_card().returning(|id| Ok(card(id, COLUMN, "V")));
        tx.expect_delete_card().times(1).returning(|_, _| Ok(()));
        expect_event(&mut tx, "card.deleted");
        service_with(tx).delete_card(&caller(EDITOR), CARD, Some(Version::new(5))).await.unwrap();
    }

    #[test]
    fn label_ids_are_sorted_for_storage() {
        let a = LabelId::from_uuid(Uuid::from_u128(2));
        let b = LabelId::from_uuid(Uuid::from_u128(1));
        assert_eq!(super::normalise(vec![a, b, a]), [b, a]);
    }
}
