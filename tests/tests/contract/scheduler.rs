//! The scheduler's contract on SQLite and PostgreSQL, with time driven by a manual clock: each
//! due occurrence fires exactly once (one occurrence row, one notification, one
//! `reminder.fired` event), a daily reminder fires again a day later at the same local time
//! (across a DST change), missed days fire late after downtime, an uncommitted firing fires
//! again, and on PostgreSQL two schedulers ticking at once never fire an occurrence twice. The
//! notification feed is its owner's alone.

use std::sync::Arc;

use adapter_sea_orm::SeaReminderStore;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use corkboard_tests::{Backend, TestDb, databases};
use kernel::{Caller, ManualClock, NotificationId, PageRequest, ReminderId, UserId, UuidV7, Version};
use reminders::{
    FiringStore as _, NewReminder, NotificationService, Recurrence, Reminder, ReminderBody, ReminderError,
    ReminderService, ReminderStatus, ReminderStore as _, ReminderTitle, Scheduler, Timezone,
};
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use uuid::Uuid;

use crate::reminders_store::users;

/// 07:00Z on Saturday 29 March 2025: 08:00 in Berlin, the day before summer time starts.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 29, 7, 0, 0).unwrap()
}

/// (occurrence rows, notifications, `reminder.fired` events in the outbox and the audit log).
async fn fired(db: &TestDb) -> (i64, i64, i64, i64) {
    (
        db.count("reminder_occurrences").await,
        db.count("notifications").await,
        db.count("outbox_events WHERE event_type = 'reminder.fired'").await,
        db.count("audit_events WHERE action = 'reminder.fired'").await,
    )
}

struct Fixture {
    db: TestDb,
    store: Arc<SeaReminderStore>,
    clock: Arc<ManualClock>,
    reminders: ReminderService,
    notifications: NotificationService,
    scheduler: Scheduler,
}

impl Fixture {
    fn new(db: TestDb, batch_size: u64) -> Self {
        let store = Arc::new(SeaReminderStore::new(db.db.clone()));
        let clock = Arc::new(ManualClock::new(start()));
        let reminders = ReminderService::new(store.clone(), store.clone(), clock.clone(), Arc::new(UuidV7));
        let notifications = NotificationService::new(store.clone(), clock.clone());
        let scheduler = Scheduler::new(store.clone(), clock.clone(), Arc::new(UuidV7), batch_size);
        Self { db, store, clock, reminders, notifications, scheduler }
    }

    async fn reminder(&self, caller: &Caller, remind_at: DateTime<Utc>, rule: Option<&str>) -> Reminder {
        let input = NewReminder {
            title: ReminderTitle::parse("Water the plants").unwrap(),
            body: ReminderBody::empty(),
            remind_at,
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            recurrence: rule.map(|r| Recurrence::parse(r).unwrap()),
            target: None,
        };
        self.reminders.create(caller, input).await.unwrap()
    }
}

#[tokio::test]
async fn each_due_occurrence_fires_exactly_once_and_daily_ones_again_at_the_same_local_time() {
    for db in databases().await {
        let fx = Fixture::new(db, 100);
        let owners = users(&fx.db, 2).await;
        let due = start() + Duration::minutes(30); // 08:30 in Berlin (CET)
        let mut daily = Vec::new();
        for owner in &owners {
            daily.push(fx.reminder(owner, due, Some("FREQ=DAILY")).await.id);
            daily.push(fx.reminder(owner, due, Some("FREQ=DAILY")).await.id);
            fx.reminder(owner, due, None).await;
        }
        assert_eq!(fx.scheduler.tick().await.unwrap(), 0, "nothing is due yet");

        fx.clock.advance(Duration::minutes(30));
        assert_eq!(fx.scheduler.tick().await.unwrap(), 6);
        assert_eq!(fired(&fx.db).await, (6, 6, 6, 6));
        assert_eq!(fx.scheduler.tick().await.unwrap(), 0, "a second tick fires nothing new");
        assert_eq!(fired(&fx.db).await, (6, 6, 6, 6));
        assert_eq!(fx.db.count("reminder_occurrences WHERE late").await, 0);

        // A day later, 08:30 in Berlin again, in summer time: 06:30Z, 23 hours on (the day of
        // the change is 23 hours long). On time, so not late.
        fx.clock.advance(Duration::hours(23));
        assert_eq!(fx.scheduler.tick().await.unwrap(), 4);
        assert_eq!(fx.db.count("reminder_occurrences WHERE late").await, 0);
        let today = Utc.with_ymd_and_hms(2025, 3, 30, 6, 30, 0).unwrap();
        let feed = fx.notifications.list(&owners[0], None, PageRequest::new(Some(200), None)).await.unwrap();
        assert_eq!(feed.items.iter().filter(|n| n.due_at == today).count(), 2);
        assert_eq!(fired(&fx.db).await, (10, 10, 10, 10));
        for id in &daily {
            let r = fx.store.get(*id).await.unwrap();
            assert_eq!(r.next_fire_at, Some(Utc.with_ymd_and_hms(2025, 3, 31, 6, 30, 0).unwrap()));
            assert_eq!(r.status, ReminderStatus::Scheduled);
        }
        // Three days of downtime: every missed day fires, late (the two past days) or on time
        // (today's, due right now), none twice.
        fx.clock.advance(Duration::days(3));
        assert_eq!(fx.scheduler.tick().await.unwrap(), 12);
        assert_eq!(fired(&fx.db).await, (22, 22, 22, 22));
        assert_eq!(fx.db.count("reminder_occurrences WHERE late").await, 8);
        assert_eq!(fx.scheduler.tick().await.unwrap(), 0);

        // Each owner sees their own 11 notifications only.
        let (ann, bob) = (&owners[0], &owners[1]);
        let page = fx.notifications.list(ann, None, PageRequest::new(Some(200), None)).await.unwrap();
        assert_eq!(page.items.len(), 11);
        assert!(page.items.iter().all(|n| n.user_id == ann.user_id));
        assert_eq!(page.items.iter().filter(|n| n.late).count(), 4);
        assert_eq!(fx.notifications.unread_count(ann).await.unwrap(), 11);
        let first = page.items[0].id;
        assert!(matches!(fx.notifications.mark_read(bob, first).await, Err(ReminderError::NotFound)));
        let read = fx.notifications.mark_read(ann, first).await.unwrap();
        assert_eq!(read.read_at, Some(fx.clock_now()));
        assert_eq!(fx.notifications.unread_count(ann).await.unwrap(), 10);
        // Marking read is audited with the change; marking it read again records nothing.
        let read_events = "audit_events WHERE action = 'notification.read' AND resource_type = 'notification'";
        assert_eq!(fx.db.count(read_events).await, 1, "{:?}", fx.db.backend);
        assert_eq!(fx.db.count("outbox_events WHERE event_type = 'notification.read'").await, 1);
        fx.clock.advance(Duration::minutes(1));
        let again = fx.notifications.mark_read(ann, first).await.unwrap();
        assert_eq!(again.read_at, read.read_at, "a read notification keeps its first read_at");
        assert_eq!(fx.db.count("audit_events WHERE action = 'notification.read'").await, 1);
        let unread = fx.notifications.list(ann, Some(true), PageRequest::new(Some(4), None)).await.unwrap();
        assert_eq!(unread.items.len(), 4);
        assert!(unread.next_cursor.is_some() && unread.items.iter().all(|n| n.read_at.is_none()));
        assert_eq!(fx.notifications.mark_all_read(ann).await.unwrap(), 10);
        assert_eq!(fx.notifications.unread_count(ann).await.unwrap(), 0);
        assert_eq!(fx.db.count("audit_events WHERE action = 'notification.read_all'").await, 1);
        assert_eq!(fx.notifications.mark_all_read(ann).await.unwrap(), 0);
        assert_eq!(fx.db.count("audit_events WHERE action = 'notification.read_all'").await, 1, "nothing changed");
        assert_eq!(fx.notifications.unread_count(bob).await.unwrap(), 11);
        let unknown = NotificationId::from_uuid(Uuid::now_v7());
        assert!(matches!(fx.notifications.mark_read(ann, unknown).await, Err(ReminderError::NotFound)));
    }
}

impl Fixture {
    fn clock_now(&self) -> DateTime<Utc> {
        kernel::Clock::now(self.clock.as_ref())
    }
}

#[tokio::test]
async fn a_firing_that_did_not_commit_fires_again() {
    for db in databases().await {
        let fx = Fixture::new(db, 100);
        let owner = &users(&fx.db, 1).await[0];
        let r = fx.reminder(owner, start() + Duration::minutes(5), None).await;
        fx.clock.advance(Duration::minutes(5));
        {
            // Claim and record the occurrence, then "crash" before the commit.
            let tx = fx.store.begin_firing().await.unwrap();
            let claimed = tx.claim_due(fx.clock_now(), 10).await.unwrap().due;
            assert_eq!(claimed.len(), 1);
            let occurrence = reminders::due_occurrence(&claimed[0], fx.clock_now()).unwrap();
            assert!(tx.insert_occurrence(&occurrence, fx.clock_now()).await.unwrap());
            drop(tx);
        }
        // A dropped transaction's rollback reaches the database when its connection is next
        // used, as a crashed instance's does when its connection is found dead: until then its
        // row stays locked and a tick passes it over (`SKIP LOCKED`), as it should.
        let mut fired_now = 0;
        for _ in 0..100 {
            fired_now = fx.scheduler.tick().await.unwrap();
            if fired_now > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(fired_now, 1, "{:?}: the occurrence fires once the claim is rolled back", fx.db.backend);
        assert_eq!(fired(&fx.db).await, (1, 1, 1, 1));
        assert_eq!(fx.store.get(r.id).await.unwrap().next_fire_at, None);
        assert_eq!(fx.scheduler.tick().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_due_row_that_does_not_parse_is_parked_and_never_blocks_the_others() {
    for db in databases().await {
        let fx = Fixture::new(db, 1);
        let owner = &users(&fx.db, 1).await[0];
        let broken = fx.reminder(owner, start() + Duration::minutes(1), None).await;
        let fine = fx.reminder(owner, start() + Duration::minutes(2), None).await;
        // A time zone this build does not know, as after a hand edit or a tz database change.
        let conn = fx.db.db.conn();
        let backend = conn.get_database_backend();
        let set = "UPDATE reminders SET timezone = 'Mars/Olympus_Mons' WHERE id = ";
        let sql = format!("{set}{}", if backend == DbBackend::Postgres { "$1" } else { "?" });
        conn.execute(Statement::from_sql_and_values(backend, sql, [broken.id.as_uuid().into()])).await.unwrap();
        fx.clock.advance(Duration::minutes(5));

        // The batch of one claims the broken row first: it is parked, then the next tick fires.
        let report = fx.scheduler.tick_report().await.unwrap();
        assert_eq!((report.fired(), report.parked), (0, 1), "{:?}", fx.db.backend);
        assert_eq!(drain(&fx.scheduler).await, 1, "{:?}", fx.db.backend);
        assert_eq!(fired(&fx.db).await, (1, 1, 1, 1), "{:?}", fx.db.backend);
        assert_eq!(fx.store.get(fine.id).await.unwrap().next_fire_at, None, "fired");
        let parked = "reminders WHERE timezone = 'Mars/Olympus_Mons' AND next_fire_at IS NULL";
        assert_eq!(fx.db.count(parked).await, 1, "{:?}", fx.db.backend);
        assert_eq!(fx.scheduler.tick_report().await.unwrap(), reminders::TickReport::default());
    }
}

/// Ticks until a tick finds nothing to claim; returns how many occurrences fired.
async fn drain(scheduler: &Scheduler) -> usize {
    let mut total = 0;
    loop {
        match scheduler.tick().await.unwrap() {
            0 => return total,
            n => total += n,
        }
    }
}

#[tokio::test]
async fn two_schedulers_ticking_at_once_fire_each_occurrence_once() {
    for db in databases().await {
        if db.backend != Backend::Postgres {
            continue; // SQLite has a single writer: there is nothing concurrent to prove.
        }
        let fx = Fixture::new(db, 25);
        let owner = users(&fx.db, 1).await[0].user_id;
        let tx = fx.store.begin().await.unwrap();
        for i in 0..300 {
            tx.insert(&due_reminder(owner, i)).await.unwrap();
        }
        tx.commit().await.unwrap();
        let other = Scheduler::new(fx.store.clone(), fx.clock.clone(), Arc::new(UuidV7), 25);
        let (a, b) = tokio::join!(drain(&fx.scheduler), drain(&other));
        assert_eq!(a + b, 300, "{a} + {b}");
        assert!(a > 0 && b > 0, "both took part: {a} + {b}");
        assert_eq!(fired(&fx.db).await, (300, 300, 300, 300));
        assert_eq!(fx.db.count("reminders WHERE next_fire_at IS NOT NULL").await, 0);
    }
}

fn due_reminder(owner: UserId, i: i64) -> Reminder {
    let at = start() - Duration::seconds(i);
    Reminder {
        id: ReminderId::from_uuid(Uuid::now_v7()),
        owner_id: owner,
        title: ReminderTitle::parse("Due").unwrap(),
        body: ReminderBody::empty(),
        remind_at: at,
        timezone: Timezone::parse("Europe/Berlin").unwrap(),
        recurrence: None,
        target: None,
        status: ReminderStatus::Scheduled,
        next_fire_at: Some(at),
        snoozed_until: None,
        version: Version::FIRST,
        created_at: at,
        updated_at: at,
    }
}
