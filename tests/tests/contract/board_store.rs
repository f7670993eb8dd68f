//! The board store's contract on SQLite and PostgreSQL: versioned writes, cascades, the
//! one-call board view, card filters and pages, rank order, and units of work that roll back
//! with their events. The last tests drive `BoardService` on the real store.

use std::sync::Arc;

use adapter_sea_orm::SeaBoardStore;
use board::{
    Board, BoardError, BoardName, BoardRole, BoardService, BoardStore as _, Card, CardFilter, CardMove, CardRef,
    CardTitle, Color, Column, ColumnName, Comment, CommentBody, Description, Label, LabelName, Member, NewBoard,
    NewCard, NewColumn, OverviewLimits, Rank, Revision, Siblings, UserDirectory as _, WipLimit,
};
use chrono::{DateTime, Duration, Utc};
use corkboard_tests::{TestDb, databases};
use kernel::{
    Actor, BoardId, Caller, CardId, Changes, Clock as _, ColumnId, CommentId, DomainEvent, LabelId, PageRequest,
    RepoError, RequestMeta, SystemClock, UserId, UuidV7, Version,
};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    SystemClock.now()
}

fn rank(s: &str) -> Rank {
    Rank::parse(s).unwrap()
}

fn new_board(owner: UserId) -> Board {
    Board {
        id: BoardId::from_uuid(Uuid::now_v7()),
        name: BoardName::parse("Roadmap").unwrap(),
        description: Description::parse("## Plans").unwrap(),
        owner_id: owner,
        archived: false,
        version: Version::FIRST,
        created_at: now(),
        updated_at: now(),
    }
}

fn member(board: BoardId, user: UserId, role: BoardRole) -> Member {
    Member { board_id: board, user_id: user, role, created_at: now(), updated_at: now() }
}

fn column(board: BoardId, at: &str, wip: Option<i64>) -> Column {
    Column {
        id: ColumnId::from_uuid(Uuid::now_v7()),
        board_id: board,
        name: ColumnName::parse(&format!("Column {at}")).unwrap(),
        rank: rank(at),
        wip_limit: wip.map(|w| WipLimit::parse(w).unwrap()),
        version: Version::FIRST,
        created_at: now(),
        updated_at: now(),
    }
}

fn card(board: BoardId, column: ColumnId, at: &str, by: UserId) -> Card {
    Card {
        id: CardId::from_uuid(Uuid::now_v7()),
        board_id: board,
        column_id: column,
        title: CardTitle::parse(&format!("Card {at}")).unwrap(),
        description: Description::empty(),
        rank: rank(at),
        labels: vec![],
        assignees: vec![],
        due_at: None,
        archived: false,
        version: Version::FIRST,
        created_by: by,
        created_at: now(),
        updated_at: now(),
    }
}

fn label(board: BoardId, name: &str) -> Label {
    Label {
        id: LabelId::from_uuid(Uuid::now_v7()),
        board_id: board,
        name: LabelName::parse(name).unwrap(),
        color: Color::parse("#aa00ff").unwrap(),
        version: Version::FIRST,
        created_at: now(),
        updated_at: now(),
    }
}

/// A board with two members, two columns (the second-created sorts first), two labels, and
/// five cards, one of them archived.
struct Seed {
    owner: UserId,
    editor: UserId,
    board: Board,
    /// `todo` at "V", `doing` at "U": `doing` comes first.
    todo: Column,
    doing: Column,
    labels: [Label; 2],
    /// In `todo`: `cards[0]` at "b" (labelled, assigned), `cards[1]` at "a", `cards[4]` at "0V"
    /// (archived). In `doing`: `cards[2]` at "Z", `cards[3]` at "a" ("Z" < "a" byte-wise).
    cards: Vec<Card>,
}

async fn seed(db: &TestDb) -> Seed {
    let [owner, editor] = db.insert_users(2).await.try_into().unwrap();
    let board = new_board(owner);
    let (todo, doing) = (column(board.id, "V", None), column(board.id, "U", Some(5)));
    let labels = [label(board.id, "bug"), label(board.id, "ux")];
    let mut cards = vec![
        card(board.id, todo.id, "b", owner),
        card(board.id, todo.id, "a", owner),
        card(board.id, doing.id, "Z", editor),
        card(board.id, doing.id, "a", editor),
        card(board.id, todo.id, "0V", owner),
    ];
    cards[0].labels = {
        let mut l = vec![labels[1].id, labels[0].id];
        l.sort();
        l
    };
    cards[0].assignees = {
        let mut a = vec![owner, editor];
        a.sort();
        a
    };
    cards[0].due_at = Some(now() + Duration::days(1));
    cards[2].due_at = Some(now() + Duration::days(10));
    cards[2].labels = vec![labels[0].id];
    cards[4].archived = true;

    let store = SeaBoardStore::new(db.db.clone());
    let tx = store.begin().await.unwrap();
    tx.insert_board(&board).await.unwrap();
    tx.insert_member(&member(board.id, owner, BoardRole::Owner)).await.unwrap();
    tx.insert_member(&member(board.id, editor, BoardRole::Editor)).await.unwrap();
    tx.insert_column(&todo).await.unwrap();
    tx.insert_column(&doing).await.unwrap();
    for l in &labels {
        tx.insert_label(l).await.unwrap();
    }
    for c in &cards {
        tx.insert_card(c).await.unwrap();
    }
    tx.commit().await.unwrap();
    Seed { owner, editor, board, todo, doing, labels, cards }
}

#[tokio::test]
async fn writes_with_a_stale_version_are_conflicts_and_change_nothing() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let mut renamed = s.board.clone();
        renamed.name = BoardName::parse("Renamed").unwrap();
        renamed.version = Version::new(2);

        let tx = store.begin().await.unwrap();
        let stale = tx.update_board(&renamed, Version::new(7)).await;
        assert!(matches!(stale, Err(RepoError::Conflict(_))), "{:?}: {stale:?}", db.backend);
        let stale = tx.delete_card(s.cards[0].id, Version::new(3)).await;
        assert!(matches!(stale, Err(RepoError::Conflict(_))), "{:?}: {stale:?}", db.backend);
        let missing = tx.delete_card(CardId::from_uuid(Uuid::now_v7()), Version::FIRST).await;
        assert!(matches!(missing, Err(RepoError::NotFound)), "{:?}: {missing:?}", db.backend);
        // The unit of work is still usable after a refused write, on PostgreSQL too.
        tx.update_board(&renamed, Version::FIRST).await.unwrap();
        tx.commit().await.unwrap();

        let view = store.get_board_view(s.board.id).await.unwrap();
        assert_eq!(view.board, renamed, "{:?}", db.backend);
        assert_eq!(store.get_card(s.cards[0].id).await.unwrap(), s.cards[0], "{:?}", db.backend);
    }
}

#[tokio::test]
async fn the_board_view_holds_ordered_columns_and_open_cards_with_labels_and_assignees() {
    for db in databases().await {
        let s = seed(&db).await;
        let view = SeaBoardStore::new(db.db.clone()).get_board_view(s.board.id).await.unwrap();
        assert_eq!(view.board, s.board, "{:?}", db.backend);
        assert_eq!(view.columns, [s.doing.clone(), s.todo.clone()], "{:?}", db.backend);
        let order: Vec<CardId> = view.cards.iter().map(|c| c.id).collect();
        let expected = [s.cards[2].id, s.cards[3].id, s.cards[1].id, s.cards[0].id];
        assert_eq!(order, expected, "{:?}: by column position, then byte-wise rank", db.backend);
        let labelled = view.cards.iter().find(|c| c.id == s.cards[0].id).unwrap();
        assert_eq!(labelled, &s.cards[0], "{:?}", db.backend);
        assert_eq!(view.members.len(), 2);
        assert_eq!(view.role_of(s.editor), Some(BoardRole::Editor));
        let mut label_ids: Vec<LabelId> = s.labels.iter().map(|l| l.id).collect();
        label_ids.sort();
        assert_eq!(view.labels.iter().map(|l| l.id).collect::<Vec<_>>(), label_ids);
    }
}

#[tokio::test]
async fn cards_are_filtered_and_paged_by_id() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let ids = |cards: &[Card]| cards.iter().map(|c| c.id).collect::<Vec<_>>();
        let list =
            async |filter: CardFilter| store.list_cards(s.board.id, filter, PageRequest::first()).await.unwrap().items;

        let all = list(CardFilter::default()).await;
        let mut expected: Vec<CardId> = s.cards.iter().map(|c| c.id).collect();
        expected.sort();
        assert_eq!(ids(&all), expected, "{:?}", db.backend);

        let in_doing = list(CardFilter { column_id: Some(s.doing.id), ..CardFilter::default() }).await;
        assert_eq!(ids(&in_doing), [s.cards[2].id, s.cards[3].id], "{:?}", db.backend);
        let assigned = list(CardFilter { assignee: Some(s.editor), ..CardFilter::default() }).await;
        assert_eq!(assigned, [s.cards[0].clone()], "{:?}", db.backend);
        let bugs = list(CardFilter { label: Some(s.labels[0].id), ..CardFilter::default() }).await;
        assert_eq!(ids(&bugs), [s.cards[0].id, s.cards[2].id], "{:?}", db.backend);
        let due_soon = list(CardFilter { due_before: Some(now() + Duration::days(2)), ..CardFilter::default() }).await;
        assert_eq!(ids(&due_soon), [s.cards[0].id], "{:?}", db.backend);
        let archived = list(CardFilter { archived: Some(true), ..CardFilter::default() }).await;
        assert_eq!(ids(&archived), [s.cards[4].id], "{:?}", db.backend);
        let open_in_todo =
            list(CardFilter { column_id: Some(s.todo.id), archived: Some(false), ..CardFilter::default() }).await;
        assert_eq!(ids(&open_in_todo), [s.cards[0].id, s.cards[1].id], "{:?}", db.backend);

        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page =
                store.list_cards(s.board.id, CardFilter::default(), PageRequest::new(Some(2), cursor)).await.unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(ids(&page.items));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, expected, "{:?}: pages cover every card once, in id order", db.backend);
    }
}

#[tokio::test]
async fn cards_due_for_a_user_span_their_open_boards_and_leave_out_the_rest() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        // A second board of the owner's, with a card overdue, an archived card due soon and one
        // without a due date; a third, archived board with a card due soon.
        let second = new_board(s.owner);
        let archived_board = Board { archived: true, ..new_board(s.owner) };
        let (col, col3) = (column(second.id, "V", None), column(archived_board.id, "V", None));
        let mut overdue = card(second.id, col.id, "a", s.owner);
        overdue.due_at = Some(now() - Duration::days(3));
        let mut archived_card = card(second.id, col.id, "b", s.owner);
        archived_card.due_at = Some(now() + Duration::hours(1));
        archived_card.archived = true;
        let undated = card(second.id, col.id, "c", s.owner);
        let mut on_archived_board = card(archived_board.id, col3.id, "a", s.owner);
        on_archived_board.due_at = Some(now() + Duration::hours(2));
        let tx = store.begin().await.unwrap();
        for b in [&second, &archived_board] {
            tx.insert_board(b).await.unwrap();
            tx.insert_member(&member(b.id, s.owner, BoardRole::Owner)).await.unwrap();
        }
        tx.insert_column(&col).await.unwrap();
        tx.insert_column(&col3).await.unwrap();
        for c in [&overdue, &archived_card, &undated, &on_archived_board] {
            tx.insert_card(c).await.unwrap();
        }
        tx.commit().await.unwrap();

        let within = |days| now() + Duration::days(days);
        let limits = |due_cards| OverviewLimits { recent_boards: 5, columns: 5, cards_per_column: 5, due_cards };
        let due = |user, days, limit| {
            let store = &store;
            async move {
                let o = store.overview(user, now(), within(days), limits(limit)).await.unwrap();
                let ids = |cards: &[CardRef]| cards.iter().map(|c| c.id).collect::<Vec<_>>();
                (ids(&o.overdue), ids(&o.due_soon))
            }
        };
        let (overdue_ids, soon) = due(s.owner, 7, 50).await;
        assert_eq!(overdue_ids, [overdue.id], "{:?}: open boards, open cards", db.backend);
        assert_eq!(soon, [s.cards[0].id], "{:?}: soonest first", db.backend);
        assert_eq!(due(s.owner, 30, 50).await.1, [s.cards[0].id, s.cards[2].id], "{:?}", db.backend);
        assert_eq!(due(s.owner, 30, 1).await.1, [s.cards[0].id], "{:?}: at most the limit", db.backend);
        // The editor is a member of the first board only.
        assert_eq!(due(s.editor, 30, 50).await, (vec![], vec![s.cards[0].id, s.cards[2].id]), "{:?}", db.backend);
        let stranger = UserId::from_uuid(Uuid::now_v7());
        assert_eq!(due(stranger, 30, 50).await, (vec![], vec![]));
    }
}

#[tokio::test]
async fn deleting_a_board_deletes_everything_on_it() {
    for db in databases().await {
        let s = seed(&db).await;
        let other = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let comment = Comment {
            id: CommentId::from_uuid(Uuid::now_v7()),
            card_id: s.cards[0].id,
            board_id: s.board.id,
            author_id: s.editor,
            body: CommentBody::parse("First!").unwrap(),
            version: Version::FIRST,
            created_at: now(),
            updated_at: now(),
        };
        let tx = store.begin().await.unwrap();
        tx.insert_comment(&comment).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.get_comment(comment.id).await.unwrap(), comment, "{:?}", db.backend);

        let tx = store.begin().await.unwrap();
        tx.delete_board(s.board.id, Version::FIRST).await.unwrap();
        tx.commit().await.unwrap();

        let tables = [
            ("boards", 1),
            ("board_members", 2),
            ("board_columns", 2),
            ("cards", 5),
            ("labels", 2),
            ("card_labels", 3),
            ("card_assignees", 2),
            ("card_comments", 0),
        ];
        for (table, left) in tables {
            assert_eq!(db.count(table).await, left, "{:?}: {table} keeps only the other board's rows", db.backend);
        }
        assert!(matches!(store.get_board_view(s.board.id).await, Err(RepoError::NotFound)));
        assert!(store.get_board_view(other.board.id).await.is_ok());
    }
}

#[tokio::test]
async fn labels_and_memberships_take_their_links_with_them() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let (unlabelled_at, unassigned_at) = (now() + Duration::minutes(1), now() + Duration::minutes(2));
        let tx = store.begin().await.unwrap();
        tx.delete_label(s.board.id, s.labels[0].id, Version::FIRST, unlabelled_at).await.unwrap();
        tx.delete_member(s.board.id, s.editor, unassigned_at).await.unwrap();
        tx.commit().await.unwrap();
        let card = store.get_card(s.cards[0].id).await.unwrap();
        assert_eq!(card.labels, [s.labels[1].id], "{:?}", db.backend);
        assert_eq!(card.assignees, [s.owner], "{:?}", db.backend);
        assert_eq!(store.membership(s.board.id, s.editor).await.unwrap(), None);

        // A card that lost a link is a changed card: its version (its ETag) moves on once per
        // change, the others' stay.
        assert_eq!((card.version, card.updated_at), (Version::new(3), unassigned_at), "{:?}", db.backend);
        let only_unlabelled = store.get_card(s.cards[2].id).await.unwrap();
        assert_eq!(only_unlabelled.labels, [], "{:?}", db.backend);
        assert_eq!(
            (only_unlabelled.version, only_unlabelled.updated_at),
            (Version::new(2), unlabelled_at),
            "{:?}",
            db.backend
        );
        for untouched in [&s.cards[1], &s.cards[3], &s.cards[4]] {
            assert_eq!(&store.get_card(untouched.id).await.unwrap(), untouched, "{:?}", db.backend);
        }
    }
}

#[tokio::test]
async fn an_assignee_who_is_not_a_member_is_refused_by_the_database() {
    for db in databases().await {
        let s = seed(&db).await;
        let [stranger] = db.insert_users(1).await.try_into().unwrap();
        let store = SeaBoardStore::new(db.db.clone());
        let tx = store.begin().await.unwrap();
        let refused = tx.set_card_assignees(s.board.id, s.cards[1].id, vec![stranger]).await;
        assert!(matches!(refused, Err(RepoError::NotFound)), "{:?}: {refused:?}", db.backend);
    }
}

#[tokio::test]
async fn a_unit_of_work_dropped_without_commit_leaves_neither_change_nor_event() {
    for db in databases().await {
        let [owner] = db.insert_users(1).await.try_into().unwrap();
        let store = SeaBoardStore::new(db.db.clone());
        let board = new_board(owner);
        let tx = store.begin().await.unwrap();
        tx.insert_board(&board).await.unwrap();
        let event = DomainEvent {
            id: Uuid::now_v7(),
            occurred_at: now(),
            actor: Actor::User(owner),
            action: "board.created",
            resource_type: "board",
            resource_id: board.id.as_uuid(),
            board_id: Some(board.id),
            changes: Changes::new().set("name", "Roadmap"),
            meta: RequestMeta::default(),
        };
        tx.record(&event).await.unwrap();
        drop(tx);
        assert_eq!(db.count("boards").await, 0, "{:?}", db.backend);
        assert_eq!(db.count("audit_events").await, 0, "{:?}", db.backend);
        assert_eq!(db.count("outbox_events").await, 0, "{:?}", db.backend);

        let tx = store.begin().await.unwrap();
        tx.insert_board(&board).await.unwrap();
        tx.record(&event).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.count("boards").await, 1, "{:?}", db.backend);
        assert_eq!(db.count("audit_events").await, 1, "{:?}", db.backend);
        assert_eq!(db.count("outbox_events").await, 1, "{:?}", db.backend);
    }
}

/// The board's revision, as its owner reads it with the membership.
async fn revision(store: &SeaBoardStore, s: &Seed) -> Revision {
    let read = store.membership_and_revision(s.board.id, s.owner).await.unwrap();
    read.expect("the owner is a member").1
}

#[tokio::test]
async fn the_revision_advances_with_each_recorded_change_and_only_on_commit() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let at_start = revision(&store, &s).await;
        assert_eq!(at_start, Revision::ZERO, "{:?}: a new board", db.backend);
        let (owner, stranger) = (s.owner, UserId::from_uuid(Uuid::now_v7()));
        let read = store.membership_and_revision(s.board.id, owner).await.unwrap();
        assert_eq!(read, Some((BoardRole::Owner, Revision::ZERO)), "{:?}: read with the role", db.backend);
        let read = store.membership_and_revision(s.board.id, stranger).await.unwrap();
        assert_eq!(read, None, "{:?}: not a member", db.backend);
        assert_eq!(store.get_board_view(s.board.id).await.unwrap().revision, at_start, "{:?}", db.backend);

        let event = |action| DomainEvent {
            id: Uuid::now_v7(),
            occurred_at: now(),
            actor: Actor::User(s.owner),
            action,
            resource_type: "card",
            resource_id: s.cards[1].id.as_uuid(),
            board_id: Some(s.board.id),
            changes: Changes::new(),
            meta: RequestMeta::default(),
        };
        let tx = store.begin().await.unwrap();
        let mut renamed = s.cards[1].clone();
        renamed.title = CardTitle::parse("Renamed").unwrap();
        renamed.version = renamed.version.next();
        tx.update_card(&renamed, s.cards[1].version).await.unwrap();
        tx.record(&event("card.updated")).await.unwrap();
        drop(tx);
        assert_eq!(revision(&store, &s).await, at_start, "{:?}: rolled back", db.backend);

        let tx = store.begin().await.unwrap();
        tx.update_card(&renamed, s.cards[1].version).await.unwrap();
        tx.record(&event("card.updated")).await.unwrap();
        tx.commit().await.unwrap();
        let after = revision(&store, &s).await;
        assert_eq!(after, Revision::new(1), "{:?}: one committed change", db.backend);
        let view = store.get_board_view(s.board.id).await.unwrap();
        assert_eq!(view.revision, after, "{:?}: the view tells its revision", db.backend);
        assert!(view.cards.iter().any(|c| c.title.as_str() == "Renamed"), "{:?}", db.backend);

        let tx = store.begin().await.unwrap();
        tx.delete_board(s.board.id, s.board.version).await.unwrap();
        tx.record(&event("board.deleted")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.membership_and_revision(s.board.id, s.owner).await.unwrap(), None, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn changes_committed_side_by_side_each_advance_the_revision_once() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = Arc::new(SeaBoardStore::new(db.db.clone()));
        let at_start = revision(&store, &s).await;
        // Sixteen units of work at once, spread over the board's revision counters.
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let (store, board, owner) = (Arc::clone(&store), s.board.id, s.owner);
                tokio::spawn(async move {
                    let tx = store.begin().await.unwrap();
                    tx.record(&DomainEvent {
                        id: Uuid::now_v7(),
                        occurred_at: now(),
                        actor: Actor::User(owner),
                        action: "board.updated",
                        resource_type: "board",
                        resource_id: board.as_uuid(),
                        board_id: Some(board),
                        changes: Changes::new(),
                        meta: RequestMeta::default(),
                    })
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let after = revision(&store, &s).await;
        assert_eq!((at_start, after), (Revision::ZERO, Revision::new(16)), "{:?}", db.backend);
        assert_eq!(store.get_board_view(s.board.id).await.unwrap().revision, after, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn a_recorded_event_lands_whole_in_the_audit_log_and_the_outbox() {
    use sea_orm::{ConnectionTrait as _, QueryResult, Statement};
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let token = Uuid::now_v7();
        let event = DomainEvent {
            id: Uuid::now_v7(),
            occurred_at: now(),
            actor: Actor::Token { user: s.owner, token: kernel::TokenId::from_uuid(token) },
            action: "card.created",
            resource_type: "card",
            resource_id: Uuid::now_v7(),
            board_id: Some(s.board.id),
            changes: Changes::new().set("title", "Write the tests"),
            meta: RequestMeta {
                request_id: Some("req-7".into()),
                trace_id: Some("trace-7".into()),
                traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
                client_ip: Some("10.1.2.3".into()),
                user_agent: Some("curl/8".into()),
            },
        };
        let tx = store.begin().await.unwrap();
        tx.record(&event).await.unwrap();
        tx.commit().await.unwrap();

        let conn = db.db.conn();
        let read = |sql: &str| {
            let stmt = Statement::from_string(conn.get_database_backend(), sql.to_owned());
            async move { conn.query_one(stmt).await.unwrap().expect("one row") }
        };
        let text = |row: &QueryResult, col: &str| row.try_get::<String>("", col).unwrap();
        let uuid = |row: &QueryResult, col: &str| row.try_get::<Uuid>("", col).unwrap();
        let audit = read("SELECT * FROM audit_events").await;
        let outbox = read("SELECT * FROM outbox_events").await;
        let backend = db.backend;
        for row in [&audit, &outbox] {
            assert_eq!(uuid(row, "id"), event.id, "{backend:?}");
            assert_eq!(text(row, "resource_type"), "card", "{backend:?}");
            assert_eq!(uuid(row, "resource_id"), event.resource_id, "{backend:?}");
            assert_eq!(uuid(row, "board_id"), s.board.id.as_uuid(), "{backend:?}");
        }
        let at = |row: &QueryResult| row.try_get::<DateTime<Utc>>("", "occurred_at").unwrap();
        assert!((at(&audit) - event.occurred_at).abs() < Duration::milliseconds(1), "{backend:?}");
        assert_eq!(at(&audit), at(&outbox), "{backend:?}");
        assert_eq!(
            [&*text(&audit, "actor_type"), &*text(&audit, "action"), &*text(&outbox, "event_type")],
            ["token", "card.created", "card.created"],
            "{backend:?}"
        );
        assert_eq!([uuid(&audit, "actor_id"), uuid(&outbox, "actor_user_id")], [s.owner.as_uuid(); 2], "{backend:?}");
        assert_eq!(
            text(&outbox, "traceparent"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "{backend:?}"
        );
        assert_eq!(uuid(&audit, "token_id"), token, "{backend:?}");
        let meta = ["request_id", "trace_id", "client_ip", "user_agent"].map(|c| text(&audit, c));
        assert_eq!(meta, ["req-7", "trace-7", "10.1.2.3", "curl/8"], "{backend:?}");
        let changes = serde_json::json!({ "title": { "before": null, "after": "Write the tests" } });
        let json = |row: &QueryResult, col: &str| row.try_get::<serde_json::Value>("", col).unwrap();
        assert_eq!([json(&audit, "changes"), json(&outbox, "payload")], [changes.clone(), changes], "{backend:?}");
        assert_eq!(revision(&store, &s).await, Revision::new(1), "{backend:?}");
    }
}

#[tokio::test]
async fn neighbour_ranks_compare_byte_wise_and_skip_the_moving_item() {
    for db in databases().await {
        let s = seed(&db).await;
        let store = SeaBoardStore::new(db.db.clone());
        let cards = Siblings::Cards(s.doing.id);
        let tx = store.begin().await.unwrap();
        let (z, a) = (s.cards[2].id.as_uuid(), s.cards[3].id.as_uuid());
        assert_eq!(tx.rank_before(cards, None, Uuid::nil()).await.unwrap(), Some(rank("a")), "{:?}", db.backend);
        assert_eq!(tx.rank_before(cards, None, a).await.unwrap(), Some(rank("Z")), "{:?}", db.backend);
        assert_eq!(tx.rank_before(cards, Some(rank("a")), Uuid::nil()).await.unwrap(), Some(rank("Z")));
        assert_eq!(tx.rank_after(cards, rank("Z"), Uuid::nil()).await.unwrap(), Some(rank("a")), "{:?}", db.backend);
        assert_eq!(tx.rank_after(cards, rank("Z"), a).await.unwrap(), None);
        assert_eq!(tx.sibling_ranks(cards).await.unwrap(), [(z, rank("Z")), (a, rank("a"))], "{:?}", db.backend);

        let columns = Siblings::Columns(s.board.id);
        tx.set_ranks(columns, vec![(s.doing.id.as_uuid(), rank("x"))]).await.unwrap();
        let order: Vec<Uuid> = tx.sibling_ranks(columns).await.unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(order, [s.todo.id.as_uuid(), s.doing.id.as_uuid()], "{:?}", db.backend);
        tx.commit().await.unwrap();
        let doing = store.get_column(s.doing.id).await.unwrap();
        assert_eq!(doing.version, Version::FIRST, "{:?}: a rebalance leaves versions alone", db.backend);
    }
}

#[tokio::test]
async fn the_user_directory_knows_who_exists() {
    for db in databases().await {
        let [someone] = db.insert_users(1).await.try_into().unwrap();
        let store = SeaBoardStore::new(db.db.clone());
        assert!(store.user_exists(someone).await.unwrap());
        assert!(!store.user_exists(UserId::from_uuid(Uuid::now_v7())).await.unwrap(), "{:?}", db.backend);
    }
}

fn service(db: &TestDb) -> BoardService {
    let store = Arc::new(SeaBoardStore::new(db.db.clone()));
    BoardService::new(store.clone(), store, Arc::new(SystemClock), Arc::new(UuidV7))
}

fn new_card(column_id: ColumnId, title: &str) -> NewCard {
    NewCard {
        title: CardTitle::parse(title).unwrap(),
        column_id,
        description: Description::empty(),
        labels: vec![],
        assignees: vec![],
        due_at: None,
    }
}

#[tokio::test]
async fn the_service_enforces_wip_limits_and_records_one_event_per_change() {
    for db in databases().await {
        let [owner] = db.insert_users(1).await.try_into().unwrap();
        let me = Caller::user(owner, false);
        let svc = service(&db);
        let board = svc
            .create_board(&me, NewBoard { name: BoardName::parse("Ops").unwrap(), description: Description::empty() })
            .await
            .unwrap();
        let name = |n: &str| ColumnName::parse(n).unwrap();
        let limited = NewColumn { name: name("Doing"), wip_limit: Some(WipLimit::parse(1).unwrap()) };
        let doing = svc.create_column(&me, board.id, limited).await.unwrap();
        let todo = svc.create_column(&me, board.id, NewColumn { name: name("Todo"), wip_limit: None }).await.unwrap();
        let first = svc.create_card(&me, board.id, new_card(doing.id, "First")).await.unwrap();
        let refused = svc.create_card(&me, board.id, new_card(doing.id, "Second")).await;
        assert!(matches!(refused, Err(BoardError::WipLimitExceeded { limit: 1, .. })), "{:?}: {refused:?}", db.backend);
        let second = svc.create_card(&me, board.id, new_card(todo.id, "Second")).await.unwrap();
        let into_full = CardMove { column_id: doing.id, before_id: Some(first.id), after_id: None };
        let refused = svc.move_card(&me, second.id, into_full, None).await;
        assert!(matches!(refused, Err(BoardError::WipLimitExceeded { .. })), "{:?}: {refused:?}", db.backend);
        let stale = svc
            .move_card(
                &me,
                first.id,
                CardMove { column_id: todo.id, before_id: None, after_id: None },
                Some(Version::new(9)),
            )
            .await;
        assert!(matches!(stale, Err(BoardError::VersionMismatch)), "{:?}: {stale:?}", db.backend);
        let front = CardMove { column_id: todo.id, before_id: Some(second.id), after_id: None };
        let moved = svc.move_card(&me, first.id, front, Some(first.version)).await.unwrap();
        assert_eq!(moved.version, Version::new(2));

        let view = svc.get_board(&me, board.id).await.unwrap();
        assert_eq!(view.columns.iter().map(|c| c.id).collect::<Vec<_>>(), [doing.id, todo.id]);
        assert_eq!(view.cards.iter().map(|c| c.id).collect::<Vec<_>>(), [first.id, second.id], "{:?}", db.backend);
        // board, two columns, two cards, one move; refused changes leave no trace.
        assert_eq!(db.count("audit_events").await, 6, "{:?}", db.backend);
        assert_eq!(db.count("outbox_events").await, 6, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn repeated_moves_into_one_gap_rebalance_the_column_invisibly() {
    for db in databases().await {
        let [owner] = db.insert_users(1).await.try_into().unwrap();
        let me = Caller::user(owner, false);
        let svc = service(&db);
        let board = svc
            .create_board(&me, NewBoard { name: BoardName::parse("Busy").unwrap(), description: Description::empty() })
            .await
            .unwrap();
        let col = svc
            .create_column(&me, board.id, NewColumn { name: ColumnName::parse("All").unwrap(), wip_limit: None })
            .await
            .unwrap();
        let mut order = Vec::new();
        for i in 0..4 {
            order.push(svc.create_card(&me, board.id, new_card(col.id, &format!("Card {i}"))).await.unwrap().id);
        }
        // Always move the last card in front of the second: the gap after the first card
        // keeps shrinking, about one more key character every six moves, so 250 moves would
        // need keys of 40-odd characters without a rebalance.
        for _ in 0..250 {
            let last = order.pop().unwrap();
            let to = CardMove { column_id: col.id, before_id: Some(order[1]), after_id: None };
            svc.move_card(&me, last, to, None).await.unwrap();
            order.insert(1, last);
        }
        let view = svc.get_board(&me, board.id).await.unwrap();
        assert_eq!(view.cards.iter().map(|c| c.id).collect::<Vec<_>>(), order, "{:?}", db.backend);
        assert!(view.cards.iter().all(|c| !c.rank.is_too_long()), "{:?}: rebalanced on the way", db.backend);
        let versions: Vec<i64> = view.cards.iter().map(|c| c.version.get()).collect();
        assert_eq!(versions.iter().sum::<i64>(), 4 + 250, "{:?}: one version per move, none per rebalance", db.backend);
    }
}

#[tokio::test]
async fn membership_rules_hold_on_the_real_store() {
    for db in databases().await {
        let [owner, friend] = db.insert_users(2).await.try_into().unwrap();
        let (me, them) = (Caller::user(owner, false), Caller::user(friend, false));
        let svc = service(&db);
        let board = svc
            .create_board(&me, NewBoard { name: BoardName::parse("Team").unwrap(), description: Description::empty() })
            .await
            .unwrap();
        let hidden = svc.get_board(&them, board.id).await;
        assert!(matches!(hidden, Err(BoardError::NotFound)), "{:?}: {hidden:?}", db.backend);
        let unknown = board::NewMember { user_id: UserId::from_uuid(Uuid::now_v7()), role: BoardRole::Viewer };
        let refused = svc.add_member(&me, board.id, unknown).await;
        assert!(matches!(refused, Err(BoardError::Invalid { field: "user_id", .. })), "{:?}: {refused:?}", db.backend);
        svc.add_member(&me, board.id, board::NewMember { user_id: friend, role: BoardRole::Viewer }).await.unwrap();
        let twice = svc.add_member(&me, board.id, board::NewMember { user_id: friend, role: BoardRole::Editor }).await;
        assert!(matches!(twice, Err(BoardError::Conflict(_))), "{:?}: {twice:?}", db.backend);

        let last = svc.update_member_role(&me, board.id, owner, BoardRole::Editor).await;
        assert!(matches!(last, Err(BoardError::Conflict(_))), "{:?}: {last:?}", db.backend);
        svc.update_member_role(&me, board.id, friend, BoardRole::Owner).await.unwrap();
        svc.remove_member(&me, board.id, owner).await.unwrap();

        let view = svc.get_board(&them, board.id).await.unwrap();
        assert_eq!(view.board.owner_id, friend, "{:?}: ownership passed on", db.backend);
        assert_eq!(view.board.version, Version::new(2));
        assert_eq!(view.members.len(), 1);
        assert!(matches!(svc.get_board(&me, board.id).await, Err(BoardError::NotFound)));
    }
}

/// A store on a connection of its own, and the number of statements it has sent so far.
async fn counting_store(db: &TestDb) -> (SeaBoardStore, impl Fn() -> usize) {
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut conn = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
    let seen = counter.clone();
    conn.set_metric_callback(move |_| {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let store = SeaBoardStore::new(adapter_sea_orm::Db::from_connection(conn));
    (store, move || counter.load(std::sync::atomic::Ordering::SeqCst))
}

/// Runs `get_board_view` through a connection that counts the statements it sends.
async fn statements_for_board_view(db: &TestDb, board: BoardId) -> (usize, usize) {
    let (store, statements) = counting_store(db).await;
    let view = store.get_board_view(board).await.unwrap();
    (statements(), view.cards.len())
}

#[tokio::test]
async fn a_card_is_read_whole_in_one_statement_whatever_its_links() {
    for db in databases().await {
        let s = seed(&db).await;
        let (store, statements) = counting_store(&db).await;
        // Labels and assignees; one label; none; archived.
        for (n, card) in [&s.cards[0], &s.cards[2], &s.cards[1], &s.cards[4]].into_iter().enumerate() {
            assert_eq!(store.get_card(card.id).await.unwrap(), *card, "{:?}", db.backend);
            assert_eq!(statements(), n + 1, "{:?}: one statement per card read", db.backend);
        }
        let missing = store.get_card(CardId::from_uuid(Uuid::now_v7())).await;
        assert!(matches!(missing, Err(RepoError::NotFound)), "{:?}: {missing:?}", db.backend);
    }
}

#[tokio::test]
async fn the_board_view_costs_the_same_number_of_statements_whatever_the_board_size() {
    for db in databases().await {
        let s = seed(&db).await;
        let (small, small_cards) = statements_for_board_view(&db, s.board.id).await;
        let store = SeaBoardStore::new(db.db.clone());
        let tx = store.begin().await.unwrap();
        for i in 0..300 {
            let mut c =
                card(s.board.id, if i % 2 == 0 { s.todo.id } else { s.doing.id }, &format!("c{i:04}z"), s.owner);
            c.labels = vec![s.labels[i % 2].id];
            c.assignees = vec![if i % 3 == 0 { s.owner } else { s.editor }];
            tx.insert_card(&c).await.unwrap();
        }
        tx.commit().await.unwrap();
        let (large, large_cards) = statements_for_board_view(&db, s.board.id).await;
        assert_eq!(large_cards, small_cards + 300, "{:?}", db.backend);
        assert!(small > 0, "{:?}: the counter sees the view's statements", db.backend);
        assert_eq!(small, large, "{:?}: statements do not grow with the number of cards", db.backend);
        assert!(large <= 10, "{:?}: {large} statements for one board view", db.backend);
    }
}
