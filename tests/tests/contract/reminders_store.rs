//! The reminder store's contract on SQLite and PostgreSQL: a reminder reads back exactly as
//! written (rule, zone, target, snooze), versioned writes refuse stale versions, lists filter by
//! status and by `next_fire_at` and page without gaps, targets are visible exactly to board
//! members (and notes to their owner), and a unit of work that is not committed leaves neither
//! the reminder nor its event.

use std::collections::BTreeSet;
use std::sync::Arc;

use adapter_sea_orm::{SeaBoardStore, SeaNoteStore, SeaReminderStore};
use board::{BoardName, BoardService, CardTitle, ColumnName, Description, NewBoard, NewCard, NewColumn};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use corkboard_tests::{TestDb, databases};
use kernel::{
    Actor, BoardId, Caller, CardId, Changes, Clock as _, DomainEvent, PageRequest, ReminderId, RepoError, RequestMeta,
    SystemClock, UserId, UuidV7, Version,
};
use notes::{NewNote, NoteBody, NoteService, NoteTitle, Tags};
use reminders::{
    NewReminder, Recurrence, Reminder, ReminderBody, ReminderError, ReminderFilter, ReminderService, ReminderStatus,
    ReminderStore as _, ReminderTitle, Target, TargetAccess as _, Timezone,
};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    SystemClock.now()
}

pub(crate) async fn users(db: &TestDb, n: usize) -> Vec<Caller> {
    db.insert_users(n).await.into_iter().map(|id| Caller::user(id, false)).collect()
}

struct Fixture {
    db: TestDb,
    store: Arc<SeaReminderStore>,
    reminders: ReminderService,
    boards: BoardService,
    notes: NoteService,
}

impl Fixture {
    fn new(db: TestDb) -> Self {
        let store = Arc::new(SeaReminderStore::new(db.db.clone()));
        let reminders = ReminderService::new(store.clone(), store.clone(), Arc::new(SystemClock), Arc::new(UuidV7));
        let board_store = Arc::new(SeaBoardStore::new(db.db.clone()));
        let boards = BoardService::new(board_store.clone(), board_store, Arc::new(SystemClock), Arc::new(UuidV7));
        let note_store = Arc::new(SeaNoteStore::new(db.db.clone()));
        let notes = NoteService::new(note_store.clone(), note_store, Arc::new(SystemClock), Arc::new(UuidV7));
        Self { db, store, reminders, boards, notes }
    }

    async fn board(&self, owner: &Caller) -> BoardId {
        let input = NewBoard { name: BoardName::parse("Team").unwrap(), description: Description::empty() };
        self.boards.create_board(owner, input).await.unwrap().id
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

    async fn note(&self, owner: &Caller, board: Option<BoardId>) -> kernel::NoteId {
        let input = NewNote {
            title: NoteTitle::parse("Note").unwrap(),
            body: NoteBody::default(),
            tags: Tags::default(),
            pinned: false,
            board_id: board,
            card_id: None,
        };
        self.notes.create(owner, input).await.unwrap().id
    }

    async fn reminder(&self, caller: &Caller, title: &str, remind_at: DateTime<Utc>, rule: Option<&str>) -> Reminder {
        let input = NewReminder {
            title: ReminderTitle::parse(title).unwrap(),
            body: ReminderBody::empty(),
            remind_at,
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            recurrence: rule.map(|r| Recurrence::parse(r).unwrap()),
            target: None,
        };
        self.reminders.create(caller, input).await.unwrap()
    }

    async fn titles(&self, caller: &Caller, filter: ReminderFilter) -> BTreeSet<String> {
        let page = self.reminders.list(caller, filter, PageRequest::new(Some(200), None)).await.unwrap();
        page.items.iter().map(|r| r.title.as_str().to_owned()).collect()
    }
}

fn set(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|t| (*t).to_owned()).collect()
}

fn raw_reminder(owner: UserId) -> Reminder {
    let at = Utc.with_ymd_and_hms(2030, 3, 30, 7, 30, 0).unwrap();
    Reminder {
        id: ReminderId::from_uuid(Uuid::now_v7()),
        owner_id: owner,
        title: ReminderTitle::parse("Raw").unwrap(),
        body: ReminderBody::parse("line one\nline two").unwrap(),
        remind_at: at,
        timezone: Timezone::parse("America/New_York").unwrap(),
        recurrence: Some(Recurrence::parse("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231T000000Z").unwrap()),
        target: None,
        status: ReminderStatus::Scheduled,
        next_fire_at: Some(at + Duration::hours(1)),
        snoozed_until: Some(at + Duration::hours(1)),
        version: Version::FIRST,
        created_at: now(),
        updated_at: now(),
    }
}

#[tokio::test]
async fn a_reminder_reads_back_exactly_as_written() {
    for db in databases().await {
        let f = Fixture::new(db);
        let me = &users(&f.db, 1).await[0];
        let board = f.board(me).await;
        let card = f.card(me, board).await;
        let input = NewReminder {
            title: ReminderTitle::parse("Stand-up").unwrap(),
            body: ReminderBody::parse("Bring notes").unwrap(),
            remind_at: Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).unwrap(),
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            recurrence: Some(Recurrence::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10").unwrap()),
            target: Some(Target::Card(card)),
        };
        let created = f.reminders.create(me, input).await.unwrap();
        assert_eq!(f.store.get(created.id).await.unwrap(), created, "{:?}", f.db.backend);
        assert_eq!(created.next_fire_at, Some(created.remind_at));

        // Every field, written through a unit of work: a note target, a snooze, another zone.
        let note = f.note(me, None).await;
        let raw = Reminder { target: Some(Target::Note(note)), ..raw_reminder(me.user_id) };
        let tx = f.store.begin().await.unwrap();
        tx.insert(&raw).await.unwrap();
        assert_eq!(tx.get(raw.id).await.unwrap(), raw, "the transaction sees its own write");
        tx.commit().await.unwrap();
        assert_eq!(f.store.get(raw.id).await.unwrap(), raw);

        let done = Reminder {
            status: ReminderStatus::Completed,
            next_fire_at: None,
            snoozed_until: None,
            recurrence: None,
            target: None,
            version: raw.version.next(),
            ..raw.clone()
        };
        let tx = f.store.begin().await.unwrap();
        tx.update(&done, raw.version).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(f.store.get(raw.id).await.unwrap(), done);
        assert!(matches!(f.store.get(ReminderId::from_uuid(Uuid::now_v7())).await, Err(RepoError::NotFound)));
    }
}

#[tokio::test]
async fn versioned_writes_refuse_stale_versions() {
    for db in databases().await {
        let f = Fixture::new(db);
        let me = &users(&f.db, 1).await[0];
        let reminder = f.reminder(me, "Versioned", now() + Duration::days(1), None).await;
        let tx = f.store.begin().await.unwrap();
        let next = Reminder { version: reminder.version.next(), ..reminder.clone() };
        assert!(matches!(tx.update(&next, Version::new(7)).await, Err(RepoError::Conflict(_))));
        assert!(matches!(tx.delete(reminder.id, Version::new(7)).await, Err(RepoError::Conflict(_))));
        let ghost = Reminder { id: ReminderId::from_uuid(Uuid::now_v7()), ..next.clone() };
        assert!(matches!(tx.update(&ghost, Version::FIRST).await, Err(RepoError::NotFound)));
        assert!(matches!(tx.delete(ghost.id, Version::FIRST).await, Err(RepoError::NotFound)));
        drop(tx);

        let later = now() + Duration::days(2);
        f.reminders.snooze(me, reminder.id, later, Some(reminder.version)).await.unwrap();
        let err = f.reminders.snooze(me, reminder.id, later, Some(reminder.version)).await.unwrap_err();
        assert!(matches!(err, ReminderError::VersionMismatch));
        let stored = f.store.get(reminder.id).await.unwrap();
        assert_eq!((stored.version, stored.snoozed_until), (Version::new(2), Some(later)));

        f.reminders.delete(me, reminder.id, Some(stored.version)).await.unwrap();
        assert_eq!(f.db.count("reminders").await, 0);
    }
}

#[tokio::test]
async fn lists_filter_by_status_and_next_firing_and_page_without_gaps() {
    for db in databases().await {
        let f = Fixture::new(db);
        let [me, other] = <[Caller; 2]>::try_from(users(&f.db, 2).await).unwrap();
        let base = now() + Duration::days(10);
        let soon = f.reminder(&me, "Soon", base, None).await;
        f.reminder(&me, "Later", base + Duration::days(5), None).await;
        f.reminder(&me, "Daily", base + Duration::days(2), Some("FREQ=DAILY")).await;
        let done = f.reminder(&me, "Done", base, None).await;
        f.reminders.complete(&me, done.id, None).await.unwrap();
        f.reminder(&other, "Not mine", base, None).await;

        assert_eq!(f.titles(&me, ReminderFilter::default()).await, set(&["Soon", "Later", "Daily", "Done"]));
        let completed = ReminderFilter { status: Some(ReminderStatus::Completed), ..ReminderFilter::default() };
        assert_eq!(f.titles(&me, completed).await, set(&["Done"]));
        let scheduled = ReminderFilter { status: Some(ReminderStatus::Scheduled), ..ReminderFilter::default() };
        assert_eq!(f.titles(&me, scheduled).await, set(&["Soon", "Later", "Daily"]));
        // `from` is inclusive, `to` exclusive; nothing pending matches neither.
        let window =
            ReminderFilter { from: Some(base), to: Some(base + Duration::days(5)), ..ReminderFilter::default() };
        assert_eq!(f.titles(&me, window).await, set(&["Soon", "Daily"]));
        let from = ReminderFilter { from: Some(base + Duration::days(1)), ..ReminderFilter::default() };
        assert_eq!(f.titles(&me, from).await, set(&["Later", "Daily"]));
        let to = ReminderFilter { to: Some(base), ..ReminderFilter::default() };
        assert!(f.titles(&me, to).await.is_empty());
        let to = ReminderFilter { to: Some(base + Duration::seconds(1)), ..ReminderFilter::default() };
        assert_eq!(f.titles(&me, to).await, set(&["Soon"]));
        assert_eq!(f.titles(&other, ReminderFilter::default()).await, set(&["Not mine"]));

        for i in 0..4 {
            f.reminder(&me, &format!("Extra {i}"), base, None).await;
        }
        let (mut all, mut after) = (Vec::new(), None);
        loop {
            let page =
                f.reminders.list(&me, ReminderFilter::default(), PageRequest::new(Some(3), after)).await.unwrap();
            assert!(page.items.len() <= 3);
            all.extend(page.items.iter().map(|r| r.id.as_uuid()));
            match page.next_cursor {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(all.len(), 8);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "by id, without repeats");
        assert_eq!(all[0], soon.id.as_uuid());
    }
}

#[tokio::test]
async fn targets_are_visible_to_board_members_and_personal_notes_to_their_owner() {
    for db in databases().await {
        let f = Fixture::new(db);
        let [owner, member, stranger] = <[Caller; 3]>::try_from(users(&f.db, 3).await).unwrap();
        let board = f.board(&owner).await;
        let member_role = board::NewMember { user_id: member.user_id, role: board::BoardRole::Viewer };
        f.boards.add_member(&owner, board, member_role).await.unwrap();
        let card = Target::Card(f.card(&owner, board).await);
        let board_note = Target::Note(f.note(&owner, Some(board)).await);
        let personal = Target::Note(f.note(&owner, None).await);
        let can = |user: &Caller, target| {
            let store = f.store.clone();
            let user = user.user_id;
            async move { store.can_see(user, target).await.unwrap() }
        };
        assert!(can(&owner, card).await && can(&member, card).await && !can(&stranger, card).await);
        assert!(can(&owner, board_note).await && can(&member, board_note).await);
        assert!(!can(&stranger, board_note).await);
        assert!(can(&owner, personal).await && !can(&member, personal).await);
        assert!(!can(&owner, Target::Card(CardId::from_uuid(Uuid::now_v7()))).await, "a missing card is not visible");
        assert!(!can(&owner, Target::Note(kernel::NoteId::from_uuid(Uuid::now_v7()))).await);

        let input = NewReminder {
            title: ReminderTitle::parse("Peek").unwrap(),
            body: ReminderBody::empty(),
            remind_at: now() + Duration::hours(1),
            timezone: Timezone::UTC,
            recurrence: None,
            target: Some(card),
        };
        let err = f.reminders.create(&stranger, input).await.unwrap_err();
        assert!(matches!(err, ReminderError::Invalid { field: "target", .. }), "{err:?}");
    }
}

#[tokio::test]
async fn a_unit_of_work_that_is_not_committed_leaves_no_reminder_and_no_event() {
    for db in databases().await {
        let f = Fixture::new(db);
        let owner = &users(&f.db, 1).await[0];
        let (events, outbox) = (f.db.count("audit_events").await, f.db.count("outbox_events").await);
        let reminder = raw_reminder(owner.user_id);
        let tx = f.store.begin().await.unwrap();
        tx.insert(&reminder).await.unwrap();
        let event = DomainEvent {
            id: Uuid::now_v7(),
            occurred_at: now(),
            actor: Actor::User(owner.user_id),
            action: "reminder.created",
            resource_type: "reminder",
            resource_id: reminder.id.as_uuid(),
            board_id: None,
            changes: Changes::new().set("title", "Raw"),
            meta: RequestMeta::default(),
        };
        tx.record(&event).await.unwrap();
        drop(tx);
        assert_eq!(f.db.count("reminders").await, 0);
        assert_eq!((f.db.count("audit_events").await, f.db.count("outbox_events").await), (events, outbox));

        // The committed path writes exactly one event per change.
        f.reminder(owner, "Kept", now() + Duration::hours(1), None).await;
        assert_eq!(f.db.count("audit_events").await, events + 1);
    }
}
