//! The use cases over mocked ports: who may do what, and the unit-of-work contract (one event
//! and one commit on success; no event and no commit on any refusal).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use kernel::{BoardId, Caller, CardId, ManualClock, NoteId, RepoError, SequentialIds, UserId, Version};
use uuid::Uuid;

use super::NoteService;
use crate::error::NoteError;
use crate::model::{NewNote, Note, NoteBody, NoteChanges, NoteCursor, NoteFilter, NoteTitle, SearchText, Tags};
use crate::ports::{MockBoardAccess, MockNoteStore, MockNoteTx, NoteRole};

const AUTHOR: UserId = UserId::from_uuid(Uuid::from_u128(0xA1));
const EDITOR: UserId = UserId::from_uuid(Uuid::from_u128(0xA2));
const VIEWER: UserId = UserId::from_uuid(Uuid::from_u128(0xA3));
const STRANGER: UserId = UserId::from_uuid(Uuid::from_u128(0xA4));
const BOARD: BoardId = BoardId::from_uuid(Uuid::from_u128(0xB0));
const OTHER_BOARD: BoardId = BoardId::from_uuid(Uuid::from_u128(0xB1));
const CARD: CardId = CardId::from_uuid(Uuid::from_u128(0xC1));
const FOREIGN_CARD: CardId = CardId::from_uuid(Uuid::from_u128(0xC2));
const NOTE: NoteId = NoteId::from_uuid(Uuid::from_u128(0xD1));

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap()
}

fn caller(user: UserId) -> Caller {
    Caller::user(user, false)
}

/// Roles on [`BOARD`]: the author is a viewer there (so only authorship lets them edit), the
/// editor an editor. On [`OTHER_BOARD`] only the editor is a member, as a viewer.
fn access() -> MockBoardAccess {
    let mut access = MockBoardAccess::new();
    access.expect_role_of().returning(|board, user| {
        Ok(match (board, user) {
            (BOARD, AUTHOR | VIEWER) | (OTHER_BOARD, EDITOR) => Some(NoteRole::Viewer),
            (BOARD, EDITOR) => Some(NoteRole::Editor),
            _ => None,
        })
    });
    access.expect_card_board().returning(|card| {
        Ok(match card {
            CARD => Some(BOARD),
            FOREIGN_CARD => Some(OTHER_BOARD),
            _ => None,
        })
    });
    access
}

fn note(board: Option<BoardId>) -> Note {
    Note {
        id: NOTE,
        owner_id: AUTHOR,
        title: NoteTitle::parse("Plan").unwrap(),
        body: NoteBody::parse("Ship it").unwrap(),
        tags: Tags::parse(&["work"]).unwrap(),
        pinned: false,
        archived: false,
        board_id: board,
        card_id: None,
        version: Version::new(3),
        created_at: t0(),
        updated_at: t0(),
    }
}

fn service(store: MockNoteStore) -> NoteService {
    NoteService::new(
        Arc::new(store),
        Arc::new(access()),
        Arc::new(ManualClock::new(t0())),
        Arc::new(SequentialIds::default()),
    )
}

/// A store that holds `existing` (if any) and hands out `tx` once (if any).
fn store(existing: Option<Note>, tx: Option<MockNoteTx>) -> MockNoteStore {
    let mut store = MockNoteStore::new();
    if let Some(existing) = existing {
        store
            .expect_get()
            .returning(move |id| if id == existing.id { Ok(existing.clone()) } else { Err(RepoError::NotFound) });
    }
    match tx {
        Some(tx) => {
            store.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
        }
        None => {
            store.expect_begin().never();
        }
    }
    store
}

/// A unit of work that must record one event with `action` and commit once.
fn committing(action: &'static str) -> MockNoteTx {
    let mut tx = MockNoteTx::new();
    tx.expect_record().times(1).withf(move |e| e.action == action && e.resource_type == "note").returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
    tx
}

fn new_note(board: Option<BoardId>, card: Option<CardId>) -> NewNote {
    NewNote {
        title: NoteTitle::parse("Ideas").unwrap(),
        body: NoteBody::parse("# Ideas").unwrap(),
        tags: Tags::default(),
        pinned: true,
        board_id: board,
        card_id: card,
    }
}

#[tokio::test]
async fn anyone_creates_a_personal_note_in_one_unit_of_work() {
    let mut tx = committing("note.created");
    tx.expect_insert().times(1).withf(|n| n.owner_id == STRANGER && n.board_id.is_none()).returning(|_| Ok(()));
    let note = service(store(None, Some(tx))).create(&caller(STRANGER), new_note(None, None)).await.unwrap();
    assert_eq!((note.version, note.pinned, note.archived), (Version::FIRST, true, false));
}

#[tokio::test]
async fn a_card_note_lands_on_the_cards_board_and_its_event_is_scoped_to_it() {
    let mut tx = MockNoteTx::new();
    tx.expect_insert().times(1).returning(|_| Ok(()));
    tx.expect_record().times(1).withf(|e| e.board_id == Some(BOARD)).returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
    let note = service(store(None, Some(tx))).create(&caller(EDITOR), new_note(None, Some(CARD))).await.unwrap();
    assert_eq!((note.board_id, note.card_id), (Some(BOARD), Some(CARD)));
}

#[tokio::test]
async fn creating_on_a_board_needs_the_editor_role() {
    let svc = service(store(None, None));
    let err = svc.create(&caller(VIEWER), new_note(Some(BOARD), None)).await.unwrap_err();
    assert!(matches!(err, NoteError::Forbidden));
    let err = svc.create(&caller(STRANGER), new_note(Some(BOARD), None)).await.unwrap_err();
    assert!(matches!(err, NoteError::Invalid { field: "board_id", .. }));
}

#[tokio::test]
async fn a_card_must_be_on_the_named_board_and_visible() {
    let svc = service(store(None, None));
    let err = svc.create(&caller(EDITOR), new_note(Some(BOARD), Some(FOREIGN_CARD))).await.unwrap_err();
    assert!(matches!(err, NoteError::Invalid { field: "card_id", .. }));
    let unknown = CardId::from_uuid(Uuid::from_u128(0xCC));
    let err = svc.create(&caller(EDITOR), new_note(None, Some(unknown))).await.unwrap_err();
    assert!(matches!(err, NoteError::Invalid { field: "card_id", .. }));
    let err = svc.create(&caller(STRANGER), new_note(None, Some(CARD))).await.unwrap_err();
    assert!(matches!(err, NoteError::Invalid { field: "card_id", .. }), "a stranger learns nothing about the card");
}

#[tokio::test]
async fn personal_notes_are_their_owners_alone() {
    let svc = service(store(Some(note(None)), None));
    assert!(svc.get(&caller(AUTHOR), NOTE).await.is_ok());
    for other in [EDITOR, STRANGER] {
        assert!(matches!(svc.get(&caller(other), NOTE).await, Err(NoteError::NotFound)));
        let err = svc.delete(&caller(other), NOTE, None).await.unwrap_err();
        assert!(matches!(err, NoteError::NotFound));
    }
}

#[tokio::test]
async fn board_notes_are_seen_by_members_and_hidden_from_others() {
    let svc = service(store(Some(note(Some(BOARD))), None));
    for member in [AUTHOR, EDITOR, VIEWER] {
        assert!(svc.get(&caller(member), NOTE).await.is_ok());
    }
    assert!(matches!(svc.get(&caller(STRANGER), NOTE).await, Err(NoteError::NotFound)));
}

#[tokio::test]
async fn viewers_cannot_change_a_board_note_they_did_not_write() {
    let svc = service(store(Some(note(Some(BOARD))), None));
    let changes = NoteChanges { pinned: Some(true), ..NoteChanges::default() };
    let err = svc.update(&caller(VIEWER), NOTE, changes, None).await.unwrap_err();
    assert!(matches!(err, NoteError::Forbidden));
    assert!(matches!(svc.delete(&caller(VIEWER), NOTE, None).await, Err(NoteError::Forbidden)));
}

#[tokio::test]
async fn the_author_edits_their_board_note_while_a_member() {
    let mut tx = committing("note.updated");
    tx.expect_update()
        .times(1)
        .withf(|n, expected| *expected == Version::new(3) && n.version == Version::new(4) && n.pinned)
        .returning(|_, _| Ok(()));
    let svc = service(store(Some(note(Some(BOARD))), Some(tx)));
    let changes = NoteChanges { pinned: Some(true), ..NoteChanges::default() };
    let note = svc.update(&caller(AUTHOR), NOTE, changes, Some(Version::new(3))).await.unwrap();
    assert_eq!(note.version, Version::new(4));
}

#[tokio::test]
async fn editors_change_and_delete_board_notes() {
    let mut tx = committing("note.deleted");
    tx.expect_delete().times(1).returning(|_, _| Ok(()));
    service(store(Some(note(Some(BOARD))), Some(tx))).delete(&caller(EDITOR), NOTE, None).await.unwrap();
}

#[tokio::test]
async fn a_stale_if_match_is_a_version_mismatch_and_writes_nothing() {
    let svc = service(store(Some(note(None)), None));
    let changes = NoteChanges { archived: Some(true), ..NoteChanges::default() };
    let err = svc.update(&caller(AUTHOR), NOTE, changes, Some(Version::new(2))).await.unwrap_err();
    assert!(matches!(err, NoteError::VersionMismatch));
    let err = svc.delete(&caller(AUTHOR), NOTE, Some(Version::new(9))).await.unwrap_err();
    assert!(matches!(err, NoteError::VersionMismatch));
}

#[tokio::test]
async fn losing_a_race_rolls_back_without_an_event() {
    let mut tx = MockNoteTx::new();
    tx.expect_update().times(1).returning(|_, _| Err(RepoError::Conflict("stale version".into())));
    tx.expect_record().never();
    tx.expect_commit().never();
    let svc = service(store(Some(note(None)), Some(tx)));
    let changes = NoteChanges { title: Some(NoteTitle::parse("New").unwrap()), ..NoteChanges::default() };
    let err = svc.update(&caller(AUTHOR), NOTE, changes, Some(Version::new(3))).await.unwrap_err();
    assert!(matches!(err, NoteError::VersionMismatch));
}

#[tokio::test]
async fn a_change_that_changes_nothing_writes_nothing() {
    let svc = service(store(Some(note(None)), None));
    let changes = NoteChanges { title: Some(NoteTitle::parse("Plan").unwrap()), ..NoteChanges::default() };
    let same = svc.update(&caller(AUTHOR), NOTE, changes, None).await.unwrap();
    assert_eq!(same.version, Version::new(3));
}

#[tokio::test]
async fn moving_a_note_needs_the_editor_role_on_the_destination() {
    let svc = service(store(Some(note(Some(BOARD))), None));
    let changes = NoteChanges { board_id: Some(Some(OTHER_BOARD)), ..NoteChanges::default() };
    let err = svc.update(&caller(EDITOR), NOTE, changes, None).await.unwrap_err();
    assert!(matches!(err, NoteError::Forbidden));
}

#[tokio::test]
async fn only_the_author_makes_a_board_note_personal() {
    let svc = service(store(Some(note(Some(BOARD))), None));
    let changes = NoteChanges { board_id: Some(None), ..NoteChanges::default() };
    let err = svc.update(&caller(EDITOR), NOTE, changes.clone(), None).await.unwrap_err();
    assert!(matches!(err, NoteError::Forbidden));

    let mut tx = committing("note.updated");
    tx.expect_update().times(1).withf(|n, _| n.board_id.is_none() && n.card_id.is_none()).returning(|_, _| Ok(()));
    let svc = service(store(Some(Note { card_id: Some(CARD), ..note(Some(BOARD)) }), Some(tx)));
    svc.update(&caller(AUTHOR), NOTE, changes, None).await.unwrap();
}

fn search(q: &str) -> NoteFilter {
    NoteFilter { q: Some(SearchText::parse(q).unwrap()), ..NoteFilter::default() }
}

#[tokio::test]
async fn a_search_of_only_operators_finds_nothing_without_asking_the_store() {
    let mut store = store(None, None);
    store.expect_search().never();
    let page = service(store).list(&caller(AUTHOR), search(r#"" - * ""#), None, None).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}

#[tokio::test]
async fn searches_are_paged_by_position_within_the_window() {
    let mut store = store(None, None);
    store
        .expect_search()
        .withf(|_, _, terms, offset, limit| terms == &["rust"] && *offset == 0 && *limit == 3)
        .returning(|_, _, _, _, _| Ok(vec![note(None), note(None), note(None)]));
    let page = service(store).list(&caller(AUTHOR), search("Rust!"), Some(2), None).await.unwrap();
    assert_eq!((page.items.len(), page.next), (2, Some(NoteCursor::Position(2))));

    // The last page of the window is never followed by another.
    let mut store = self::store(None, None);
    store
        .expect_search()
        .withf(|_, _, _, offset, limit| *offset == 190 && *limit == 10)
        .returning(|_, _, _, _, limit| Ok(vec![note(None); limit as usize]));
    let page =
        service(store).list(&caller(AUTHOR), search("rust"), Some(50), Some(NoteCursor::Position(190))).await.unwrap();
    assert_eq!((page.items.len(), page.next), (10, None));
}

#[tokio::test]
async fn lists_are_paged_by_id_and_cursors_do_not_cross_over() {
    let mut store = store(None, None);
    store
        .expect_list()
        .withf(|viewer, _, after, limit| *viewer == AUTHOR && after.is_none() && *limit == 2)
        .returning(|_, _, _, _| Ok(vec![note(None), note(None)]));
    let page = service(store).list(&caller(AUTHOR), NoteFilter::default(), Some(1), None).await.unwrap();
    assert_eq!(page.next, Some(NoteCursor::After(NOTE)));

    let svc = service(self::store(None, None));
    let err = svc.list(&caller(AUTHOR), NoteFilter::default(), None, Some(NoteCursor::Position(3))).await;
    assert!(matches!(err, Err(NoteError::Invalid { field: "cursor", .. })));
    let err = svc.list(&caller(AUTHOR), search("x"), None, Some(NoteCursor::After(NOTE))).await;
    assert!(matches!(err, Err(NoteError::Invalid { field: "cursor", .. })));
}
