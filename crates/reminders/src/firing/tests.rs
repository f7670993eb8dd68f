//! Scheduler tests: mocked firing units of work, a manual clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone as _, Utc};
use kernel::{ManualClock, ReminderId, SequentialIds, UserId, Version};
use uuid::Uuid;

use super::Scheduler;
use crate::model::{Notification, Reminder, ReminderBody, ReminderStatus, ReminderTitle, Timezone};
use crate::ports::{Claim, MockFiringStore, MockFiringTx};
use crate::recurrence::Recurrence;
use crate::scheduler::Occurrence;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn reminder(rule: Option<&str>, next: &str) -> Reminder {
    Reminder {
        id: ReminderId::from_uuid(Uuid::from_u128(0xB1)),
        owner_id: UserId::from_uuid(Uuid::from_u128(0xA1)),
        title: ReminderTitle::parse("Stand-up").unwrap(),
        body: ReminderBody::empty(),
        remind_at: utc(next),
        timezone: Timezone::parse("Europe/Berlin").unwrap(),
        recurrence: rule.map(|r| Recurrence::parse(r).unwrap()),
        target: None,
        status: ReminderStatus::Scheduled,
        next_fire_at: Some(utc(next)),
        snoozed_until: None,
        version: Version::new(2),
        created_at: utc("2025-03-01T00:00:00Z"),
        updated_at: utc("2025-03-01T00:00:00Z"),
    }
}

/// What a tick wrote.
#[derive(Default)]
struct Written {
    occurrences: Vec<Occurrence>,
    notifications: Vec<Notification>,
    events: Vec<(String, kernel::Changes)>,
    updated: Vec<(Reminder, Version)>,
    parked: Vec<ReminderId>,
    committed: bool,
}

/// A store whose tx claims `claimed` and reports occurrences in `known` as fired before.
fn store(claimed: Vec<Reminder>, known: Vec<DateTime<Utc>>, written: &Arc<Mutex<Written>>) -> MockFiringStore {
    store_claiming(Claim { due: claimed, unreadable: vec![] }, known, written)
}

fn store_claiming(claim: Claim, known: Vec<DateTime<Utc>>, written: &Arc<Mutex<Written>>) -> MockFiringStore {
    let mut tx = MockFiringTx::new();
    tx.expect_claim_due().times(1).return_once(move |_, _| Ok(claim));
    let w = written.clone();
    tx.expect_park().returning(move |id| {
        w.lock().unwrap().parked.push(id);
        Ok(())
    });
    let w = written.clone();
    tx.expect_insert_occurrence().returning(move |occ, _| {
        w.lock().unwrap().occurrences.push(*occ);
        Ok(!known.contains(&occ.due_at))
    });
    let w = written.clone();
    tx.expect_insert_notification().returning(move |n| {
        w.lock().unwrap().notifications.push(n.clone());
        Ok(())
    });
    let w = written.clone();
    tx.expect_record().returning(move |e| {
        w.lock().unwrap().events.push((e.action.to_owned(), e.changes.clone()));
        Ok(())
    });
    let w = written.clone();
    tx.expect_update().returning(move |r, v| {
        w.lock().unwrap().updated.push((r.clone(), v));
        Ok(())
    });
    let w = written.clone();
    tx.expect_commit().returning(move || {
        w.lock().unwrap().committed = true;
        Ok(())
    });
    let mut store = MockFiringStore::new();
    store.expect_begin_firing().times(1).return_once(move || Ok(Box::new(tx)));
    store
}

fn scheduler(store: MockFiringStore, now: DateTime<Utc>) -> Scheduler {
    Scheduler::new(Arc::new(store), Arc::new(ManualClock::new(now)), Arc::new(SequentialIds::default()), 100)
}

#[tokio::test]
async fn a_due_one_shot_fires_once_notifies_and_records_the_event() {
    let written = Arc::new(Mutex::new(Written::default()));
    let r = reminder(None, "2025-03-28T08:00:00Z");
    let s = scheduler(store(vec![r.clone()], vec![], &written), utc("2025-03-28T08:00:10Z"));
    assert_eq!(s.tick().await.unwrap(), 1);
    let w = written.lock().unwrap();
    assert!(w.committed);
    assert_eq!(w.occurrences, [Occurrence { reminder_id: r.id, due_at: r.remind_at, late: false }]);
    assert_eq!(w.notifications.len(), 1);
    let n = &w.notifications[0];
    assert_eq!((n.user_id, n.reminder_id, n.title.as_str(), n.late), (r.owner_id, Some(r.id), "Stand-up", false));
    assert_eq!(w.events.len(), 1);
    assert_eq!(w.events[0].0, "reminder.fired");
    let changes = w.events[0].1.as_map();
    assert_eq!(changes["due_at"]["after"], serde_json::json!(r.remind_at.to_rfc3339()));
    assert_eq!(changes["late"]["after"], false);
    let (stored, expected) = &w.updated[0];
    assert_eq!((stored.next_fire_at, stored.version, *expected), (None, Version::new(3), Version::new(2)));
    assert_eq!(stored.status, ReminderStatus::Scheduled);
}

#[tokio::test]
async fn an_occurrence_recorded_before_notifies_nobody_but_moves_the_reminder_on() {
    let written = Arc::new(Mutex::new(Written::default()));
    let r = reminder(Some("FREQ=DAILY"), "2025-03-28T08:00:00Z");
    let s = scheduler(store(vec![r.clone()], vec![r.remind_at], &written), utc("2025-03-28T08:00:10Z"));
    assert_eq!(s.tick().await.unwrap(), 0);
    let w = written.lock().unwrap();
    assert!(w.committed);
    assert_eq!(w.occurrences.len(), 1);
    assert!(w.notifications.is_empty() && w.events.is_empty());
    assert_eq!(w.updated[0].0.next_fire_at, Some(utc("2025-03-29T08:00:00Z")));
}

#[tokio::test]
async fn missed_occurrences_after_downtime_each_fire_once_marked_late() {
    let written = Arc::new(Mutex::new(Written::default()));
    let r = reminder(Some("FREQ=DAILY"), "2025-03-28T08:00:00Z");
    let s = scheduler(store(vec![r.clone()], vec![], &written), utc("2025-03-30T12:00:00Z"));
    let report = s.tick_report().await.unwrap();
    assert_eq!(report.fired(), 3);
    // Lateness is fire time minus due time: noon on the 30th against each day's 09:00 local.
    let hours: Vec<i64> = report.lateness.iter().map(chrono::Duration::num_hours).collect();
    assert_eq!(hours, [52, 28, 5]);
    let w = written.lock().unwrap();
    let due: Vec<_> = w.notifications.iter().map(|n| n.due_at).collect();
    // 09:00 in Berlin each day, across the switch to summer time on the 30th.
    assert_eq!(due, [utc("2025-03-28T08:00:00Z"), utc("2025-03-29T08:00:00Z"), utc("2025-03-30T07:00:00Z")]);
    assert!(w.notifications.iter().all(|n| n.late) && w.occurrences.iter().all(|o| o.late));
    assert_eq!(w.events.len(), 3);
    assert_eq!(w.updated.len(), 1, "one write per reminder");
    let (stored, expected) = &w.updated[0];
    assert_eq!((stored.next_fire_at, *expected), (Some(utc("2025-03-31T07:00:00Z")), Version::new(2)));
    assert_eq!(stored.version, Version::new(5));
}

#[tokio::test]
async fn a_recurring_reminder_advances_in_its_own_zone() {
    let written = Arc::new(Mutex::new(Written::default()));
    let r = reminder(Some("FREQ=WEEKLY"), "2025-03-28T08:00:00Z");
    let s = scheduler(store(vec![r.clone()], vec![], &written), utc("2025-03-28T08:00:00Z"));
    assert_eq!(s.tick().await.unwrap(), 1);
    let w = written.lock().unwrap();
    assert!(!w.notifications[0].late);
    // Friday 09:00 CET, then Friday 09:00 CEST a week later.
    assert_eq!(w.updated[0].0.next_fire_at, Some(utc("2025-04-04T07:00:00Z")));
}

#[tokio::test]
async fn a_tick_with_nothing_due_writes_nothing() {
    let mut tx = MockFiringTx::new();
    tx.expect_claim_due().times(1).returning(|_, _| Ok(Claim::default()));
    tx.expect_commit().never();
    tx.expect_insert_occurrence().never();
    let mut store = MockFiringStore::new();
    store.expect_begin_firing().times(1).return_once(move || Ok(Box::new(tx)));
    let now = Utc.with_ymd_and_hms(2025, 3, 28, 8, 0, 0).unwrap();
    assert_eq!(scheduler(store, now).tick().await.unwrap(), 0);
}

#[tokio::test]
async fn the_batch_bounds_how_many_occurrences_one_tick_fires() {
    let written = Arc::new(Mutex::new(Written::default()));
    let r = reminder(Some("FREQ=DAILY"), "2025-03-01T08:00:00Z");
    let s = Scheduler::new(
        Arc::new(store(vec![r], vec![], &written)),
        Arc::new(ManualClock::new(utc("2025-03-30T12:00:00Z"))),
        Arc::new(SequentialIds::default()),
        5,
    );
    assert_eq!(s.tick().await.unwrap(), 5);
    let w = written.lock().unwrap();
    // The rest stays due for the next tick.
    assert_eq!(w.updated[0].0.next_fire_at, Some(utc("2025-03-06T08:00:00Z")));
}

#[tokio::test]
async fn a_due_row_the_store_cannot_read_is_parked_and_the_others_fire() {
    let written = Arc::new(Mutex::new(Written::default()));
    let r = reminder(None, "2025-03-28T08:00:00Z");
    let broken = ReminderId::from_uuid(Uuid::from_u128(0xB0));
    let claim = Claim { due: vec![r.clone()], unreadable: vec![(broken, "unknown time zone".into())] };
    let s = scheduler(store_claiming(claim, vec![], &written), utc("2025-03-28T08:00:10Z"));
    let report = s.tick_report().await.unwrap();
    assert_eq!((report.fired(), report.parked), (1, 1));
    assert!(report.filled(2) && !report.filled(3), "fired and parked rows both use the batch");
    let w = written.lock().unwrap();
    assert_eq!(w.parked, [broken]);
    assert_eq!(w.notifications.len(), 1);
    assert!(w.committed);
}

#[tokio::test]
async fn a_batch_of_unreadable_rows_only_is_parked_and_committed() {
    let written = Arc::new(Mutex::new(Written::default()));
    let broken: Vec<_> = (0..2u128).map(|n| (ReminderId::from_uuid(Uuid::from_u128(0xB0 + n)), "bad".into())).collect();
    let claim = Claim { due: vec![], unreadable: broken.clone() };
    let s = Scheduler::new(
        Arc::new(store_claiming(claim, vec![], &written)),
        Arc::new(ManualClock::new(utc("2025-03-28T08:00:10Z"))),
        Arc::new(SequentialIds::default()),
        2,
    );
    let report = s.tick_report().await.unwrap();
    assert_eq!((report.fired(), report.parked), (0, 2));
    assert!(report.filled(2), "a full batch of parked rows calls for another tick at once");
    let w = written.lock().unwrap();
    assert_eq!(w.parked, broken.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    assert!(w.committed, "the parking is kept");
}
