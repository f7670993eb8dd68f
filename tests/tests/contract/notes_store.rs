//! The note store's contract on SQLite and PostgreSQL: the same searches find the same notes
//! (title matches first), input made of syntax is harmless, filters, visibility and pages agree,
//! the search index follows every write, versioned writes refuse stale versions, and a unit of
//! work that is not committed leaves neither the note nor its event.

use std::collections::BTreeSet;
use std::sync::Arc;

use adapter_sea_orm::{SeaBoardStore, SeaNoteStore};
use board::{
    BoardName, BoardRole, BoardService, CardTitle, ColumnName, Description, NewBoard, NewCard, NewColumn, NewMember,
};
use chrono::{DateTime, Utc};
use corkboard_tests::{TestDb, databases};
use kernel::{
    Actor, BoardId, Caller, CardId, Changes, Clock as _, DomainEvent, RepoError, RequestMeta, SystemClock, UuidV7,
    Version,
};
use notes::{
    BoardAccess as _, NewNote, Note, NoteBody, NoteChanges, NoteCursor, NoteError, NoteFilter, NoteRole, NoteService,
    NoteStore as _, NoteTitle, SearchText, Tag, Tags,
};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    SystemClock.now()
}

async fn users(db: &TestDb, n: usize) -> Vec<Caller> {
    db.insert_users(n).await.into_iter().map(|id| Caller::user(id, false)).collect()
}

struct Fixture {
    db: TestDb,
    store: Arc<SeaNoteStore>,
    notes: NoteService,
    boards: BoardService,
}

impl Fixture {
    fn new(db: TestDb) -> Self {
        let store = Arc::new(SeaNoteStore::new(db.db.clone()));
        let notes = NoteService::new(store.clone(), store.clone(), Arc::new(SystemClock), Arc::new(UuidV7));
        let board_store = Arc::new(SeaBoardStore::new(db.db.clone()));
        let boards = BoardService::new(board_store.clone(), board_store, Arc::new(SystemClock), Arc::new(UuidV7));
        Self { db, store, notes, boards }
    }

    async fn board(&self, owner: &Caller, members: &[(&Caller, BoardRole)]) -> BoardId {
        let input = NewBoard { name: BoardName::parse("Team").unwrap(), description: Description::empty() };
        let board = self.boards.create_board(owner, input).await.unwrap();
        for (user, role) in members {
            let member = NewMember { user_id: user.user_id, role: *role };
            self.boards.add_member(owner, board.id, member).await.unwrap();
        }
        board.id
    }

    async fn card(&self, owner: &Caller, board: BoardId) -> CardId {
        let column = NewColumn { name: ColumnName::parse("Todo").unwrap(), wip_limit: None };
        let column = self.boards.create_column(owner, board, column).await.unwrap();
        let card = NewCard {
            title: CardTitle::parse("Card").unwrap(),
            column_id: column.id,
            description: Description::empty(),
            labels: vec![],
            assignees: vec![],
            due_at: None,
        };
        self.boards.create_card(owner, board, card).await.unwrap().id
    }

    async fn note(&self, caller: &Caller, title: &str, body: &str, tags: &[&str], board: Option<BoardId>) -> Note {
        let input = NewNote {
            title: NoteTitle::parse(title).unwrap(),
            body: NoteBody::parse(body).unwrap(),
            tags: Tags::parse(tags).unwrap(),
            pinned: false,
            board_id: board,
            card_id: None,
        };
        self.notes.create(caller, input).await.unwrap()
    }

    /// The titles `caller` finds for `q` (with `filter`'s other fields), best first.
    async fn search(&self, caller: &Caller, q: &str, filter: NoteFilter) -> Vec<String> {
        let filter = NoteFilter { q: Some(SearchText::parse(q).unwrap()), ..filter };
        let page = self.notes.list(caller, filter, Some(200), None).await.unwrap();
        page.items.iter().map(|n| n.title.as_str().to_owned()).collect()
    }

    async fn titles(&self, caller: &Caller, filter: NoteFilter) -> BTreeSet<String> {
        let page = self.notes.list(caller, filter, Some(200), None).await.unwrap();
        page.items.iter().map(|n| n.title.as_str().to_owned()).collect()
    }
}

fn set(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|t| (*t).to_owned()).collect()
}

/// The same corpus on every backend.
async fn corpus(f: &Fixture, me: &Caller) {
    f.note(me, "Rust ownership", "Borrowing and lifetimes.", &["rust", "lang"], None).await;
    f.note(me, "Cooking", "Rust on the pan: rust, rust and more rust. Scrub it.", &["home"], None).await;
    f.note(me, "Gardening", "Tomatoes need sun.", &["home"], None).await;
    f.note(me, "Rust async", "Tokio runtime and futures.", &["rust"], None).await;
    f.note(me, "Café", "Meet at the café near the station.", &[], None).await;
}

#[tokio::test]
async fn searches_find_the_same_notes_on_every_backend_with_title_matches_first() {
    let mut seen: Vec<(Vec<String>, Vec<String>, Vec<String>)> = Vec::new();
    for db in databases().await {
        let f = Fixture::new(db);
        let me = &users(&f.db, 1).await[0];
        corpus(&f, me).await;

        let rust = f.search(me, "rust", NoteFilter::default()).await;
        assert_eq!(rust.len(), 3, "{:?}: {rust:?}", f.db.backend);
        assert_eq!(rust.iter().take(2).cloned().collect::<BTreeSet<_>>(), set(&["Rust ownership", "Rust async"]));
        assert_eq!(rust[2], "Cooking", "{:?}: a body match ranks below title matches, however often", f.db.backend);

        let both = f.search(me, "RUST tokio", NoteFilter::default()).await;
        assert_eq!(both, ["Rust async"], "every term must match");
        let accented = f.search(me, "CAFÉ", NoteFilter::default()).await;
        assert_eq!(accented, ["Café"]);
        assert!(f.search(me, "nothing-like-this", NoteFilter::default()).await.is_empty());
        seen.push((rust, both, accented));
    }
    if let [first, rest @ ..] = seen.as_slice() {
        for other in rest {
            let sorted = |v: &Vec<String>| v.iter().cloned().collect::<BTreeSet<_>>();
            assert_eq!(sorted(&first.0), sorted(&other.0));
            assert_eq!((&first.1, &first.2), (&other.1, &other.2));
        }
    }
}

#[tokio::test]
async fn syntax_in_a_search_is_harmless() {
    for db in databases().await {
        let f = Fixture::new(db);
        let me = &users(&f.db, 1).await[0];
        corpus(&f, me).await;
        for q in [r#"""#, r#""""#, "-", "*", "( ) : ^", "!&|<->", "'; --"] {
            assert!(f.search(me, q, NoteFilter::default()).await.is_empty(), "{q}");
        }
        // Syntax around words is ignored: the words are searched for, nothing else.
        assert_eq!(f.search(me, "NEAR(", NoteFilter::default()).await, ["Café"]);
        assert_eq!(f.search(me, r#"title:"tokio"*"#, NoteFilter::default()).await, Vec::<String>::new());
        assert_eq!(f.search(me, r#""tokio"* -"#, NoteFilter::default()).await, ["Rust async"]);
        assert_eq!(f.search(me, "' OR 1=1 --", NoteFilter::default()).await, Vec::<String>::new());
        // The store itself copes with terms that hold syntax (the service never sends them).
        let weird = vec!["a\"b".to_owned(), "NEAR".to_owned(), "*".to_owned(), "title:".to_owned()];
        let found = f.store.search(me.user_id, NoteFilter::default(), weird, 0, 10).await.unwrap();
        assert!(found.is_empty());
    }
}

#[tokio::test]
async fn filters_and_visibility_agree_on_every_backend() {
    for db in databases().await {
        let f = Fixture::new(db);
        let [owner, editor, viewer, stranger] = <[Caller; 4]>::try_from(users(&f.db, 4).await).unwrap();
        let board = f.board(&owner, &[(&editor, BoardRole::Editor), (&viewer, BoardRole::Viewer)]).await;
        f.note(&owner, "Mine", "personal rust", &["x"], None).await;
        let shared = f.note(&editor, "Shared", "board rust", &["x", "team"], Some(board)).await;
        let old = f.note(&owner, "Old", "archived rust", &["x"], None).await;
        f.notes
            .update(&owner, old.id, NoteChanges { archived: Some(true), ..NoteChanges::default() }, None)
            .await
            .unwrap();
        f.notes
            .update(&editor, shared.id, NoteChanges { pinned: Some(true), ..NoteChanges::default() }, None)
            .await
            .unwrap();

        assert_eq!(f.titles(&owner, NoteFilter::default()).await, set(&["Mine", "Shared"]));
        assert_eq!(f.titles(&viewer, NoteFilter::default()).await, set(&["Shared"]));
        assert!(f.titles(&stranger, NoteFilter::default()).await.is_empty());
        assert!(f.search(&stranger, "rust", NoteFilter::default()).await.is_empty());

        let archived = NoteFilter { archived: true, ..NoteFilter::default() };
        assert_eq!(f.titles(&owner, archived.clone()).await, set(&["Old"]));
        assert_eq!(f.search(&owner, "rust", archived).await, ["Old"]);
        let team = NoteFilter { tag: Some(Tag::parse("TEAM").unwrap()), ..NoteFilter::default() };
        assert_eq!(f.titles(&owner, team).await, set(&["Shared"]));
        let on_board = NoteFilter { board_id: Some(board), ..NoteFilter::default() };
        assert_eq!(f.titles(&owner, on_board.clone()).await, set(&["Shared"]));
        assert!(f.titles(&stranger, on_board).await.is_empty(), "a filter cannot reach another's board");
        let pinned = NoteFilter { pinned: Some(true), ..NoteFilter::default() };
        assert_eq!(f.search(&owner, "rust", pinned).await, ["Shared"]);
        let future = NoteFilter { updated_after: Some(now() + chrono::Duration::hours(1)), ..NoteFilter::default() };
        assert!(f.titles(&owner, future).await.is_empty());
        let past = NoteFilter { updated_before: Some(now() + chrono::Duration::hours(1)), ..NoteFilter::default() };
        assert_eq!(f.titles(&owner, past).await, set(&["Mine", "Shared"]));

        // Access from the board tables.
        assert_eq!(f.store.role_of(board, viewer.user_id).await.unwrap(), Some(NoteRole::Viewer));
        assert_eq!(f.store.role_of(board, stranger.user_id).await.unwrap(), None);
        // Losing membership hides the board's notes.
        f.boards.remove_member(&owner, board, viewer.user_id).await.unwrap();
        assert!(f.titles(&viewer, NoteFilter::default()).await.is_empty());
        assert!(matches!(f.notes.get(&viewer, shared.id).await, Err(NoteError::NotFound)));
    }
}

#[tokio::test]
async fn lists_and_searches_page_without_gaps_or_repeats() {
    for db in databases().await {
        let f = Fixture::new(db);
        let me = &users(&f.db, 1).await[0];
        for i in 0..7 {
            f.note(me, &format!("Note {i}"), "common words", &[], None).await;
        }
        for q in [None, Some("common")] {
            let filter = NoteFilter { q: q.map(|q| SearchText::parse(q).unwrap()), ..NoteFilter::default() };
            let (mut all, mut cursor) = (Vec::new(), None);
            loop {
                let page = f.notes.list(me, filter.clone(), Some(3), cursor).await.unwrap();
                all.extend(page.items.into_iter().map(|n| n.id));
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            assert_eq!(all.len(), 7, "{q:?}");
            assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 7, "{q:?}");
            if q.is_none() {
                assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
            }
        }
        let beyond = NoteFilter { q: Some(SearchText::parse("common").unwrap()), ..NoteFilter::default() };
        let page = f.notes.list(me, beyond, None, Some(NoteCursor::Position(200))).await.unwrap();
        assert!(page.items.is_empty());
    }
}

#[tokio::test]
async fn the_index_follows_updates_deletes_and_cascades() {
    for db in databases().await {
        let f = Fixture::new(db);
        let owner = &users(&f.db, 1).await[0];
        let note = f.note(owner, "Alpha", "first body", &["a"], None).await;
        let changes = NoteChanges {
            title: Some(NoteTitle::parse("Beta").unwrap()),
            body: Some(NoteBody::parse("second body").unwrap()),
            tags: Some(Tags::parse(&["b"]).unwrap()),
            ..NoteChanges::default()
        };
        let note = f.notes.update(owner, note.id, changes, Some(note.version)).await.unwrap();
        assert!(f.search(owner, "alpha", NoteFilter::default()).await.is_empty());
        assert!(f.search(owner, "first", NoteFilter::default()).await.is_empty());
        assert_eq!(f.search(owner, "beta second", NoteFilter::default()).await, ["Beta"]);
        assert_eq!(f.store.get(note.id).await.unwrap().tags.to_strings(), ["b"]);
        f.notes.delete(owner, note.id, Some(note.version)).await.unwrap();
        assert!(f.search(owner, "beta", NoteFilter::default()).await.is_empty());
        assert_eq!(f.db.count("note_tags").await, 0);

        // A deleted card detaches its notes; a deleted board takes its notes along.
        let board = f.board(owner, &[]).await;
        let card = f.card(owner, board).await;
        let input = NewNote {
            title: NoteTitle::parse("On a card").unwrap(),
            body: NoteBody::default(),
            tags: Tags::default(),
            pinned: false,
            board_id: None,
            card_id: Some(card),
        };
        let on_card = f.notes.create(owner, input).await.unwrap();
        assert_eq!((on_card.board_id, on_card.card_id), (Some(board), Some(card)));
        f.boards.delete_card(owner, card, None).await.unwrap();
        let detached = f.store.get(on_card.id).await.unwrap();
        assert_eq!((detached.board_id, detached.card_id), (Some(board), None));
        f.boards.delete_board(owner, board, None).await.unwrap();
        assert!(matches!(f.store.get(on_card.id).await, Err(RepoError::NotFound)));
        assert_eq!(f.db.count("notes").await, 0);
    }
}

#[tokio::test]
async fn versioned_writes_refuse_stale_versions() {
    for db in databases().await {
        let f = Fixture::new(db);
        let owner = &users(&f.db, 1).await[0];
        let note = f.note(owner, "Versioned", "", &[], None).await;
        let tx = f.store.begin().await.unwrap();
        let next = Note { version: note.version.next(), ..note.clone() };
        assert!(matches!(tx.update(&next, Version::new(7)).await, Err(RepoError::Conflict(_))));
        assert!(matches!(tx.delete(note.id, Version::new(7)).await, Err(RepoError::Conflict(_))));
        let ghost = notes::Note { id: kernel::NoteId::from_uuid(Uuid::now_v7()), ..next.clone() };
        assert!(matches!(tx.update(&ghost, Version::FIRST).await, Err(RepoError::NotFound)));
        drop(tx);

        let stale = NoteChanges { pinned: Some(true), ..NoteChanges::default() };
        f.notes.update(owner, note.id, stale.clone(), Some(note.version)).await.unwrap();
        let err = f.notes.update(owner, note.id, stale, Some(note.version)).await.unwrap_err();
        assert!(matches!(err, NoteError::VersionMismatch));
        assert_eq!(f.store.get(note.id).await.unwrap().version, Version::new(2));
    }
}

#[tokio::test]
async fn a_unit_of_work_that_is_not_committed_leaves_no_note_and_no_event() {
    for db in databases().await {
        let f = Fixture::new(db);
        let owner = &users(&f.db, 1).await[0];
        let (events, outbox) = (f.db.count("audit_events").await, f.db.count("outbox_events").await);
        let note = Note {
            id: kernel::NoteId::from_uuid(Uuid::now_v7()),
            owner_id: owner.user_id,
            title: NoteTitle::parse("Doomed").unwrap(),
            body: NoteBody::parse("never searchable").unwrap(),
            tags: Tags::parse(&["gone"]).unwrap(),
            pinned: false,
            archived: false,
            board_id: None,
            card_id: None,
            version: Version::FIRST,
            created_at: now(),
            updated_at: now(),
        };
        let tx = f.store.begin().await.unwrap();
        tx.insert(&note).await.unwrap();
        let event = DomainEvent {
            id: Uuid::now_v7(),
            occurred_at: now(),
            actor: Actor::User(owner.user_id),
            action: "note.created",
            resource_type: "note",
            resource_id: note.id.as_uuid(),
            board_id: None,
            changes: Changes::new().set("title", "Doomed"),
            meta: RequestMeta::default(),
        };
        tx.record(&event).await.unwrap();
        drop(tx);
        assert_eq!(f.db.count("notes").await, 0);
        assert_eq!(f.db.count("note_tags").await, 0);
        assert_eq!((f.db.count("audit_events").await, f.db.count("outbox_events").await), (events, outbox));
        assert!(f.search(owner, "never searchable", NoteFilter::default()).await.is_empty());

        // The committed path writes exactly one event per change.
        f.note(owner, "Kept", "", &[], None).await;
        assert_eq!(f.db.count("audit_events").await, events + 1);
    }
}
