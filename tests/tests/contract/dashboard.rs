//! The dashboard's adapters: stamps and the boards' overview in SQL (SQLite and PostgreSQL),
//! and the cache in memory and in Redis.

use std::sync::Arc;
use std::time::Duration;

use adapter_memory::MemoryDashboardCache;
use adapter_redis::RedisDashboardCache;
use adapter_sea_orm::{SeaBoardStore, SeaDashboardStamps, SeaNoteStore, SeaReminderStore};
use board::{
    BoardChanges, BoardName, BoardRole, BoardService, CardChanges, CardTitle, ColumnName, Description, NewBoard,
    NewCard, NewColumn, NewMember, OverviewLimits,
};
use bytes::Bytes;
use chrono::{TimeZone as _, Utc};
use corkboard_tests::{TestDb, databases, redis_pool};
use dashboard::{DashboardCache, Rendered, Stamp, Stamps as _};
use kernel::{BoardId, Caller, Clock, ColumnId, ManualClock, NotificationId, SystemClock, UserId, UuidV7};
use notes::{NewNote, NoteBody, NoteService, NoteTitle, Tags};
use reminders::{FiringStore as _, Notification};
use uuid::Uuid;

fn boards(db: &TestDb) -> BoardService {
    let store = Arc::new(SeaBoardStore::new(db.db.clone()));
    BoardService::new(store.clone(), store, Arc::new(SystemClock), Arc::new(UuidV7))
}

fn notes(db: &TestDb) -> NoteService {
    let store = Arc::new(SeaNoteStore::new(db.db.clone()));
    NoteService::new(store.clone(), store, Arc::new(SystemClock), Arc::new(UuidV7))
}

async fn new_board(svc: &BoardService, owner: &Caller, name: &str) -> BoardId {
    let input = NewBoard { name: BoardName::parse(name).unwrap(), description: Description::parse("").unwrap() };
    svc.create_board(owner, input).await.unwrap().id
}

async fn new_column(svc: &BoardService, owner: &Caller, board: BoardId, name: &str) -> ColumnId {
    let input = NewColumn { name: ColumnName::parse(name).unwrap(), wip_limit: None };
    svc.create_column(owner, board, input).await.unwrap().id
}

async fn new_note(db: &TestDb, by: &Caller, title: &str) {
    let input = NewNote {
        title: NoteTitle::parse(title).unwrap(),
        body: NoteBody::parse("…").unwrap(),
        tags: Tags::parse::<&str>(&[]).unwrap(),
        pinned: false,
        board_id: None,
        card_id: None,
    };
    notes(db).create(by, input).await.unwrap();
}

#[tokio::test]
async fn a_stamp_moves_with_every_change_that_concerns_its_user_and_no_other() {
    for db in databases().await {
        let users = db.insert_users(2).await;
        let (ann, bob) = (Caller::user(users[0], false), Caller::user(users[1], false));
        let stamps = SeaDashboardStamps::new(db.db.clone());
        let svc = boards(&db);
        let stamp = |user: UserId| {
            let stamps = stamps.clone();
            async move { stamps.stamp(user).await.unwrap() }
        };
        assert_eq!(stamp(ann.user_id).await, Stamp::default(), "{:?}: nothing yet", db.backend);

        let alpha = new_board(&svc, &ann, "Alpha").await;
        let with_board = stamp(ann.user_id).await;
        assert_eq!(with_board.boards, 1);
        assert!(with_board.board_revisions > 0);
        let todo = new_column(&svc, &ann, alpha, "To do").await;
        let with_column = stamp(ann.user_id).await;
        assert!(with_column.board_revisions > with_board.board_revisions, "a change on the board");

        // Bob's own note is his business; Ann's is hers.
        new_note(&db, &bob, "Bob's").await;
        assert_eq!(stamp(ann.user_id).await, with_column);
        let bob_before = stamp(bob.user_id).await;
        assert!(bob_before.personal > 0);
        new_note(&db, &ann, "Ann's").await;
        let with_note = stamp(ann.user_id).await;
        assert!(with_note.personal > with_column.personal);

        // Bob joins; his card on the shared board concerns Ann too.
        svc.add_member(&ann, alpha, NewMember { user_id: bob.user_id, role: BoardRole::Editor }).await.unwrap();
        assert_eq!(stamp(bob.user_id).await.boards, 1);
        let before_card = stamp(ann.user_id).await;
        let input = NewCard {
            title: CardTitle::parse("Bob's card").unwrap(),
            column_id: todo,
            description: Description::parse("").unwrap(),
            labels: Vec::new(),
            assignees: Vec::new(),
            due_at: None,
        };
        svc.create_card(&bob, alpha, input).await.unwrap();
        assert!(stamp(ann.user_id).await.board_revisions > before_card.board_revisions);

        // The scheduler's notification for Ann is hers, though the system made it.
        let before_notification = stamp(ann.user_id).await;
        let reminders = SeaReminderStore::new(db.db.clone());
        let tx = reminders.begin_firing().await.unwrap();
        let now = SystemClock.now();
        let notification = Notification {
            id: NotificationId::from_uuid(Uuid::now_v7()),
            user_id: ann.user_id,
            reminder_id: None,
            title: "Ping".into(),
            body: String::new(),
            due_at: now,
            late: false,
            read_at: None,
            created_at: now,
        };
        tx.insert_notification(&notification).await.unwrap();
        tx.commit().await.unwrap();
        assert!(stamp(ann.user_id).await.personal > before_notification.personal);

        // Leaving a board changes the count.
        svc.remove_member(&ann, alpha, bob.user_id).await.unwrap();
        assert_eq!(stamp(bob.user_id).await.boards, 0);
    }
}

#[tokio::test]
async fn the_overview_groups_the_users_cards_and_splits_what_is_due() {
    let limits = OverviewLimits { recent_boards: 5, columns: 10, cards_per_column: 2, due_cards: 10 };
    for db in databases().await {
        let users = db.insert_users(2).await;
        let (ann, bob) = (Caller::user(users[0], false), Caller::user(users[1], false));
        let svc = boards(&db);
        let alpha = new_board(&svc, &ann, "Alpha").await;
        let beta = new_board(&svc, &ann, "Beta").await;
        let gone = new_board(&svc, &ann, "Archived").await;
        new_board(&svc, &bob, "Bob's").await;
        let (a_todo, a_done) =
            (new_column(&svc, &ann, alpha, "To do").await, new_column(&svc, &ann, alpha, "Done").await);
        let b_todo = new_column(&svc, &ann, beta, "Inbox").await;
        let g_todo = new_column(&svc, &ann, gone, "Old").await;
        let now = SystemClock.now();
        let hours = |h: i64| Some(now + chrono::Duration::hours(h));
        let add = |board: BoardId, column: ColumnId, title: &str, mine: bool, due| {
            let input = NewCard {
                title: CardTitle::parse(title).unwrap(),
                column_id: column,
                description: Description::parse("").unwrap(),
                labels: Vec::new(),
                assignees: if mine { vec![ann.user_id] } else { Vec::new() },
                due_at: due,
            };
            let (svc, ann) = (&svc, &ann);
            async move { svc.create_card(ann, board, input).await.unwrap() }
        };
        for title in ["A1", "A2", "A3"] {
            add(alpha, a_todo, title, true, None).await;
        }
        add(alpha, a_done, "Overdue", false, hours(-5)).await;
        let archived = add(alpha, a_done, "Archived card", true, hours(-6)).await;
        add(beta, b_todo, "Soon", true, hours(5)).await;
        add(beta, b_todo, "Too late to list", false, hours(24 * 30)).await;
        add(gone, g_todo, "On an archived board", true, hours(-1)).await;
        let changes = CardChanges { archived: Some(true), ..CardChanges::default() };
        svc.update_card(&ann, archived.id, changes, None).await.unwrap();
        let archive = BoardChanges { archived: Some(true), ..BoardChanges::default() };
        svc.update_board(&ann, gone, archive, None).await.unwrap();

        let o = svc.overview(&ann, now, now + chrono::Duration::days(7), limits).await.unwrap();
        assert_eq!(o.board_count, 3, "{:?}: archived boards count, others' do not", db.backend);
        let recent: Vec<_> = o.recent.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(recent, ["Alpha", "Beta"], "open boards, the last changed first (a card archived on Alpha)");
        let columns: Vec<_> = o
            .assigned
            .iter()
            .map(|c| (c.cards[0].board_name.as_str(), c.cards[0].column_name.as_str(), c.count, c.cards.len()))
            .collect();
        assert_eq!(columns, [("Alpha", "To do", 3, 2), ("Beta", "Inbox", 1, 1)]);
        let firsts: Vec<_> = o.assigned[0].cards.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(firsts, ["A1", "A2"], "in the column's order");
        let titles = |cards: &[board::CardRef]| cards.iter().map(|c| c.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&o.overdue), ["Overdue"]);
        assert_eq!(titles(&o.due_soon), ["Soon"]);
        assert_eq!(o.due_soon[0].column_name, "Inbox");

        let tight = OverviewLimits { recent_boards: 1, columns: 1, cards_per_column: 1, due_cards: 1 };
        let o = svc.overview(&ann, now, now + chrono::Duration::days(7), tight).await.unwrap();
        assert_eq!((o.recent.len(), o.assigned.len(), o.assigned[0].cards.len(), o.assigned[0].count), (1, 1, 1, 3));
    }
}

fn rendered(n: u64) -> Rendered {
    Rendered::new(Stamp { boards: n, board_revisions: 2 * n, personal: 3 * n }, Bytes::from(format!("{{\"n\":{n}}}")))
}

/// A cache under test: its name, the cache, and the clock it reads (none: Redis's own).
type Subject = (&'static str, Arc<dyn DashboardCache>, Option<Arc<ManualClock>>);

async fn caches() -> Vec<Subject> {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()));
    let mut out: Vec<Subject> =
        vec![("memory", Arc::new(MemoryDashboardCache::new(1 << 20, clock.clone())), Some(clock))];
    if let Some(pool) = redis_pool().await {
        out.push(("redis", Arc::new(RedisDashboardCache::new(pool)), None));
    }
    out
}

#[tokio::test]
async fn a_cache_keeps_each_users_latest_rendering_until_it_expires() {
    for (name, cache, clock) in caches().await {
        let (ann, bob) = (UserId::from_uuid(Uuid::now_v7()), UserId::from_uuid(Uuid::now_v7()));
        assert_eq!(cache.get(ann).await.unwrap(), None, "{name}");
        cache.put(ann, &rendered(1), Duration::from_mins(1)).await.unwrap();
        cache.put(bob, &rendered(2), Duration::from_mins(1)).await.unwrap();
        assert_eq!(cache.get(ann).await.unwrap(), Some(rendered(1)), "{name}");
        cache.put(ann, &rendered(3), Duration::from_millis(30)).await.unwrap();
        assert_eq!(cache.get(ann).await.unwrap(), Some(rendered(3)), "{name}: replaced");
        match &clock {
            Some(clock) => clock.advance(chrono::Duration::milliseconds(31)),
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
        assert_eq!(cache.get(ann).await.unwrap(), None, "{name}: expired");
        assert_eq!(cache.get(bob).await.unwrap(), Some(rendered(2)), "{name}: each user's own");
    }
}

#[tokio::test]
async fn the_memory_cache_stays_within_its_bytes() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()));
    let cache = MemoryDashboardCache::new(64 * 1024, clock);
    let big = |n: u64| Rendered::new(Stamp { boards: n, ..Stamp::default() }, Bytes::from(vec![b' '; 8 * 1024]));
    let users: Vec<_> = (0..32).map(|_| UserId::from_uuid(Uuid::now_v7())).collect();
    for (n, user) in users.iter().enumerate() {
        cache.put(*user, &big(n as u64), Duration::from_mins(1)).await.unwrap();
    }
    let mut kept = 0;
    for user in &users {
        kept += usize::from(cache.get(*user).await.unwrap().is_some());
    }
    assert!((1..=8).contains(&kept), "64 KiB hold at most eight 8-KiB dashboards, kept {kept}");
}
