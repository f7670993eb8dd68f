//! Fixtures for the use-case tests: mocked ports, a stopped clock, predictable ids.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use kernel::{BoardId, Caller, CardId, ColumnId, CommentId, LabelId, ManualClock, SequentialIds, UserId, Version};
use uuid::Uuid;

use super::BoardService;
use crate::model::{
    Board, BoardName, BoardRole, Card, CardTitle, Color, Column, ColumnName, Comment, CommentBody, Description, Label,
    LabelName, Member, WipLimit,
};
use crate::ports::{MockBoardStore, MockBoardTx, MockUserDirectory};
use crate::rank::Rank;

pub(super) const OWNER: UserId = UserId::from_uuid(Uuid::from_u128(0xA1));
pub(super) const EDITOR: UserId = UserId::from_uuid(Uuid::from_u128(0xA2));
pub(super) const VIEWER: UserId = UserId::from_uuid(Uuid::from_u128(0xA3));
pub(super) const STRANGER: UserId = UserId::from_uuid(Uuid::from_u128(0xA4));
pub(super) const BOARD: BoardId = BoardId::from_uuid(Uuid::from_u128(0xB0));
pub(super) const COLUMN: ColumnId = ColumnId::from_uuid(Uuid::from_u128(0xC1));
pub(super) const OTHER_COLUMN: ColumnId = ColumnId::from_uuid(Uuid::from_u128(0xC2));
pub(super) const CARD: CardId = CardId::from_uuid(Uuid::from_u128(0xD1));
pub(super) const LABEL: LabelId = LabelId::from_uuid(Uuid::from_u128(0xE1));
pub(super) const COMMENT: CommentId = CommentId::from_uuid(Uuid::from_u128(0xF1));

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap()
}

pub(super) fn caller(user: UserId) -> Caller {
    Caller::user(user, false)
}

/// The role each fixture user holds on [`BOARD`].
pub(super) fn role_of(user: UserId) -> Option<BoardRole> {
    match user {
        OWNER => Some(BoardRole::Owner),
        EDITOR => Some(BoardRole::Editor),
        VIEWER => Some(BoardRole::Viewer),
        _ => None,
    }
}

pub(super) fn service(store: MockBoardStore, users: MockUserDirectory) -> BoardService {
    BoardService::new(
        Arc::new(store),
        Arc::new(users),
        Arc::new(ManualClock::new(t0())),
        Arc::new(SequentialIds::default()),
    )
}

/// A service whose store hands out `tx` once.
pub(super) fn service_with(tx: MockBoardTx) -> BoardService {
    let mut store = MockBoardStore::new();
    store.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
    service(store, MockUserDirectory::new())
}

/// A unit of work that knows the fixture roles on [`BOARD`].
pub(super) fn tx() -> MockBoardTx {
    let mut tx = MockBoardTx::new();
    tx.expect_membership().returning(|board, user| Ok(if board == BOARD { role_of(user) } else { None }));
    tx
}

/// The unit of work must record one event with `action` and commit once.
pub(super) fn expect_event(tx: &mut MockBoardTx, action: &'static str) {
    tx.expect_record().times(1).withf(move |e| e.action == action).returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
}

/// The unit of work must neither record nor commit.
pub(super) fn expect_rollback(tx: &mut MockBoardTx) {
    tx.expect_record().never();
    tx.expect_commit().never();
}

/// A store that knows the fixture roles on [`BOARD`].
pub(super) fn store() -> MockBoardStore {
    let mut store = MockBoardStore::new();
    store.expect_membership().returning(|board, user| Ok(if board == BOARD { role_of(user) } else { None }));
    store
}

pub(super) fn rank(s: &str) -> Rank {
    Rank::parse(s).unwrap()
}

pub(super) fn board() -> Board {
    Board {
        id: BOARD,
        name: BoardName::parse("Roadmap").unwrap(),
        description: Description::empty(),
        owner_id: OWNER,
        archived: false,
        version: Version::new(3),
        created_at: t0(),
        updated_at: t0(),
    }
}

pub(super) fn member(user: UserId, role: BoardRole) -> Member {
    Member { board_id: BOARD, user_id: user, role, created_at: t0(), updated_at: t0() }
}

pub(super) fn column(id: ColumnId, wip: Option<u32>) -> Column {
    Column {
        id,
        board_id: BOARD,
        name: ColumnName::parse("Doing").unwrap(),
        rank: rank(if id == COLUMN { "V" } else { "W" }),
        wip_limit: wip.map(|w| WipLimit::parse(i64::from(w)).unwrap()),
        version: Version::new(2),
        created_at: t0(),
        updated_at: t0(),
    }
}

pub(super) fn card(id: CardId, column: ColumnId, at: &str) -> Card {
    Card {
        id,
        board_id: BOARD,
        column_id: column,
        title: CardTitle::parse("Write the spec").unwrap(),
        description: Description::empty(),
        rank: rank(at),
        labels: vec![],
        assignees: vec![],
        due_at: None,
        archived: false,
        version: Version::new(5),
        created_by: EDITOR,
        created_at: t0(),
        updated_at: t0(),
    }
}

pub(super) fn label() -> Label {
    Label {
        id: LABEL,
        board_id: BOARD,
        name: LabelName::parse("bug").unwrap(),
        color: Color::parse("#ff0000").unwrap(),
        version: Version::new(1),
        created_at: t0(),
        updated_at: t0(),
    }
}

pub(super) fn comment(author: UserId) -> Comment {
    Comment {
        id: COMMENT,
        card_id: CARD,
        board_id: BOARD,
        author_id: author,
        body: CommentBody::parse("Looks good").unwrap(),
        version: Version::new(1),
        created_at: t0(),
        updated_at: t0(),
    }
}
