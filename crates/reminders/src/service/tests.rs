//! Use-case tests: mocked ports, a stopped clock, predictable ids.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use kernel::{Caller, CardId, ManualClock, NoteId, PageRequest, ReminderId, RepoError, SequentialIds, UserId, Version};
use mockall::predicate::eq;
use uuid::Uuid;

use super::ReminderService;
use crate::error::ReminderError;
use crate::model::{
    NewReminder, Reminder, ReminderBody, ReminderChanges, ReminderFilter, ReminderStatus, ReminderTitle, Target,
    Timezone,
};
use crate::ports::{MockReminderStore, MockReminderTx, MockTargetAccess};
use crate::recurrence::Recurrence;

const OWNER: UserId = UserId::from_uuid(Uuid::from_u128(0xA1));
const STRANGER: UserId = UserId::from_uuid(Uuid::from_u128(0xA2));
const REMINDER: ReminderId = ReminderId::from_uuid(Uuid::from_u128(0xB1));
const CARD: CardId = CardId::from_uuid(Uuid::from_u128(0xC1));

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 28, 7, 0, 0).unwrap()
}

fn caller(user: UserId) -> Caller {
    Caller::user(user, false)
}

fn berlin() -> Timezone {
    Timezone::parse("Europe/Berlin").unwrap()
}

fn service(store: MockReminderStore, targets: MockTargetAccess) -> ReminderService {
    ReminderService::new(
        Arc::new(store),
        Arc::new(targets),
        Arc::new(ManualClock::new(now())),
        Arc::new(SequentialIds::default()),
    )
}

/// A service whose store hands out `tx` once.
fn service_with(tx: MockReminderTx) -> ReminderService {
    let mut store = MockReminderStore::new();
    store.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
    service(store, MockTargetAccess::new())
}

fn expect_event(tx: &mut MockReminderTx, action: &'static str) {
    tx.expect_record()
        .times(1)
        .withf(move |e| e.action == action && e.resource_type == "reminder" && e.board_id.is_none())
        .returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
}

fn expect_rollback(tx: &mut MockReminderTx) {
    tx.expect_record().never();
    tx.expect_commit().never();
}

fn stored(rule: Option<&str>) -> Reminder {
    Reminder {
        id: REMINDER,
        owner_id: OWNER,
        title: ReminderTitle::parse("Stand-up").unwrap(),
        body: ReminderBody::empty(),
        remind_at: now() + Duration::hours(1),
        timezone: berlin(),
        recurrence: rule.map(|r| Recurrence::parse(r).unwrap()),
        target: None,
        status: ReminderStatus::Scheduled,
        next_fire_at: Some(now() + Duration::hours(1)),
        snoozed_until: None,
        version: Version::new(3),
        created_at: now(),
        updated_at: now(),
    }
}

/// A unit of work holding `reminder`.
fn tx_with(reminder: Reminder) -> MockReminderTx {
    let mut tx = MockReminderTx::new();
    tx.expect_get().with(eq(reminder.id)).return_once(move |_| Ok(reminder));
    tx
}

fn new_reminder(remind_at: DateTime<Utc>, rule: Option<&str>) -> NewReminder {
    NewReminder {
        title: ReminderTitle::parse("Stand-up").unwrap(),
        body: ReminderBody::empty(),
        remind_at,
        timezone: berlin(),
        recurrence: rule.map(|r| Recurrence::parse(r).unwrap()),
        target: None,
    }
}

#[tokio::test]
async fn create_schedules_the_first_occurrence_and_records_one_event() {
    let mut tx = MockReminderTx::new();
    tx.expect_insert().times(1).withf(|r| r.owner_id == OWNER && r.version == Version::FIRST).returning(|_| Ok(()));
    expect_event(&mut tx, "reminder.created");
    let at = now() + Duration::hours(2);
    let r = service_with(tx).create(&caller(OWNER), new_reminder(at, Some("FREQ=DAILY"))).await.unwrap();
    assert_eq!(r.status, ReminderStatus::Scheduled);
    assert_eq!(r.next_fire_at, Some(at));
    assert_eq!(r.created_at, now());
}

#[tokio::test]
async fn create_in_the_past_fires_at_once() {
    let mut tx = MockReminderTx::new();
    tx.expect_insert().times(1).returning(|_| Ok(()));
    expect_event(&mut tx, "reminder.created");
    let at = now() - Duration::days(3);
    let r = service_with(tx).create(&caller(OWNER), new_reminder(at, None)).await.unwrap();
    assert_eq!(r.next_fire_at, Some(at));
    assert!(crate::scheduler::due_occurrence(&r, now()).unwrap().late);
}

#[tokio::test]
async fn create_with_until_before_remind_at_is_invalid_and_opens_nothing() {
    let svc = service(MockReminderStore::new(), MockTargetAccess::new());
    let input = new_reminder(now(), Some("FREQ=DAILY;UNTIL=20250101"));
    let err = svc.create(&caller(OWNER), input).await.unwrap_err();
    assert!(matches!(err, ReminderError::Invalid { field: "recurrence", .. }), "{err:?}");
}

#[tokio::test]
async fn create_with_an_invisible_target_is_invalid() {
    let mut targets = MockTargetAccess::new();
    targets.expect_can_see().with(eq(OWNER), eq(Target::Card(CARD))).times(1).returning(|_, _| Ok(false));
    let svc = service(MockReminderStore::new(), targets);
    let input = NewReminder { target: Some(Target::Card(CARD)), ..new_reminder(now(), None) };
    let err = svc.create(&caller(OWNER), input).await.unwrap_err();
    assert!(matches!(err, ReminderError::Invalid { field: "target", .. }), "{err:?}");
}

#[tokio::test]
async fn create_with_a_visible_target_keeps_it() {
    let mut targets = MockTargetAccess::new();
    targets.expect_can_see().times(1).returning(|_, _| Ok(true));
    let mut tx = MockReminderTx::new();
    tx.expect_insert().times(1).returning(|_| Ok(()));
    expect_event(&mut tx, "reminder.created");
    let mut store = MockReminderStore::new();
    store.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
    let input = NewReminder { target: Some(Target::Card(CARD)), ..new_reminder(now(), None) };
    let r = service(store, targets).create(&caller(OWNER), input).await.unwrap();
    assert_eq!(r.target, Some(Target::Card(CARD)));
}

#[tokio::test]
async fn create_rolls_back_when_the_insert_fails() {
    let mut tx = MockReminderTx::new();
    tx.expect_insert().returning(|_| Err(RepoError::Unavailable("down".into())));
    expect_rollback(&mut tx);
    let err = service_with(tx).create(&caller(OWNER), new_reminder(now(), None)).await.unwrap_err();
    assert!(matches!(err, ReminderError::Unavailable(_)));
}

#[tokio::test]
async fn get_returns_the_owners_reminder() {
    let mut store = MockReminderStore::new();
    store.expect_get().return_once(|_| Ok(stored(None)));
    let r = service(store, MockTargetAccess::new()).get(&caller(OWNER), REMINDER).await.unwrap();
    assert_eq!(r.id, REMINDER);
}

#[tokio::test]
async fn someone_elses_reminder_is_not_found() {
    let mut store = MockReminderStore::new();
    store.expect_get().return_once(|_| Ok(stored(None)));
    let err = service(store, MockTargetAccess::new()).get(&Caller::user(STRANGER, true), REMINDER).await.unwrap_err();
    assert!(matches!(err, ReminderError::NotFound));
}

#[tokio::test]
async fn list_is_scoped_to_the_caller() {
    let mut store = MockReminderStore::new();
    store
        .expect_list_by_owner()
        .withf(|owner, f, _| *owner == OWNER && f.status == Some(ReminderStatus::Scheduled))
        .times(1)
        .returning(|_, _, _| Ok(kernel::Page { items: vec![stored(None)], next_cursor: None }));
    let filter = ReminderFilter { status: Some(ReminderStatus::Scheduled), ..ReminderFilter::default() };
    let page =
        service(store, MockTargetAccess::new()).list(&caller(OWNER), filter, PageRequest::first()).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn update_of_the_schedule_recomputes_next_fire_at_and_drops_a_snooze() {
    let mut current = stored(Some("FREQ=DAILY"));
    current.snoozed_until = Some(now() + Duration::minutes(5));
    current.next_fire_at = current.snoozed_until;
    let mut tx = tx_with(current);
    tx.expect_update().with(mockall::predicate::always(), eq(Version::new(3))).times(1).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.updated");
    let new_at = now() + Duration::days(1);
    let changes = ReminderChanges { remind_at: Some(new_at), ..ReminderChanges::default() };
    let r = service_with(tx).update(&caller(OWNER), REMINDER, changes, Some(Version::new(3))).await.unwrap();
    assert_eq!(r.next_fire_at, Some(new_at));
    assert_eq!(r.snoozed_until, None);
    assert_eq!(r.version, Version::new(4));
}

#[tokio::test]
async fn update_of_the_title_keeps_the_pending_firing() {
    let current = stored(Some("FREQ=DAILY"));
    let pending = current.next_fire_at;
    let mut tx = tx_with(current);
    tx.expect_update().times(1).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.updated");
    let changes = ReminderChanges { title: Some(ReminderTitle::parse("Retro").unwrap()), ..ReminderChanges::default() };
    let r = service_with(tx).update(&caller(OWNER), REMINDER, changes, None).await.unwrap();
    assert_eq!(r.title.as_str(), "Retro");
    assert_eq!(r.next_fire_at, pending);
}

#[tokio::test]
async fn update_that_changes_nothing_writes_nothing() {
    let mut tx = tx_with(stored(None));
    tx.expect_update().never();
    expect_rollback(&mut tx);
    let changes =
        ReminderChanges { title: Some(ReminderTitle::parse("Stand-up").unwrap()), ..ReminderChanges::default() };
    service_with(tx).update(&caller(OWNER), REMINDER, changes, None).await.unwrap();
}

#[tokio::test]
async fn update_with_a_stale_version_is_a_mismatch() {
    let mut tx = tx_with(stored(None));
    tx.expect_update().never();
    expect_rollback(&mut tx);
    let changes = ReminderChanges { body: Some(ReminderBody::parse("x").unwrap()), ..ReminderChanges::default() };
    let err = service_with(tx).update(&caller(OWNER), REMINDER, changes, Some(Version::new(2))).await.unwrap_err();
    assert!(matches!(err, ReminderError::VersionMismatch));
}

#[tokio::test]
async fn concurrent_update_without_expected_version_is_a_conflict() {
    let mut tx = tx_with(stored(None));
    tx.expect_update().returning(|_, _| Err(RepoError::Conflict("version".into())));
    expect_rollback(&mut tx);
    let changes = ReminderChanges { body: Some(ReminderBody::parse("x").unwrap()), ..ReminderChanges::default() };
    let err = service_with(tx).update(&caller(OWNER), REMINDER, changes, None).await.unwrap_err();
    assert!(matches!(err, ReminderError::Conflict(_)));
}

#[tokio::test]
async fn stranger_cannot_update() {
    let mut tx = tx_with(stored(None));
    tx.expect_update().never();
    expect_rollback(&mut tx);
    let err = service_with(tx).update(&caller(STRANGER), REMINDER, ReminderChanges::default(), None).await.unwrap_err();
    assert!(matches!(err, ReminderError::NotFound));
}

#[tokio::test]
async fn delete_records_the_deletion() {
    let mut tx = tx_with(stored(None));
    tx.expect_delete().with(eq(REMINDER), eq(Version::new(3))).times(1).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.deleted");
    service_with(tx).delete(&caller(OWNER), REMINDER, Some(Version::new(3))).await.unwrap();
}

#[tokio::test]
async fn delete_of_a_missing_reminder_is_not_found() {
    let mut tx = MockReminderTx::new();
    tx.expect_get().returning(|_| Err(RepoError::NotFound));
    expect_rollback(&mut tx);
    let err = service_with(tx).delete(&caller(OWNER), REMINDER, None).await.unwrap_err();
    assert!(matches!(err, ReminderError::NotFound));
}

#[tokio::test]
async fn completing_a_recurring_reminder_ends_the_series() {
    let mut tx = tx_with(stored(Some("FREQ=DAILY")));
    tx.expect_update().times(1).withf(|r, _| r.status == ReminderStatus::Completed).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.completed");
    let r = service_with(tx).complete(&caller(OWNER), REMINDER, None).await.unwrap();
    assert_eq!(r.status, ReminderStatus::Completed);
    assert_eq!(r.next_fire_at, None);
    assert!(crate::scheduler::due_occurrence(&r, now() + Duration::days(30)).is_none());
}

#[tokio::test]
async fn completing_twice_changes_nothing() {
    let mut tx = tx_with(Reminder { status: ReminderStatus::Completed, next_fire_at: None, ..stored(None) });
    tx.expect_update().never();
    expect_rollback(&mut tx);
    let r = service_with(tx).complete(&caller(OWNER), REMINDER, None).await.unwrap();
    assert_eq!(r.version, Version::new(3));
}

#[tokio::test]
async fn a_cancelled_reminder_cannot_be_completed() {
    let mut tx = tx_with(Reminder { status: ReminderStatus::Cancelled, ..stored(None) });
    expect_rollback(&mut tx);
    let err = service_with(tx).complete(&caller(OWNER), REMINDER, None).await.unwrap_err();
    assert!(matches!(err, ReminderError::NotScheduled(ReminderStatus::Cancelled)));
}

#[tokio::test]
async fn cancel_stops_firing() {
    let mut tx = tx_with(stored(None));
    tx.expect_update().times(1).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.cancelled");
    let r = service_with(tx).cancel(&caller(OWNER), REMINDER, None).await.unwrap();
    assert_eq!((r.status, r.next_fire_at), (ReminderStatus::Cancelled, None));
}

#[tokio::test]
async fn snooze_moves_this_firing_only() {
    let mut tx = tx_with(stored(Some("FREQ=DAILY")));
    tx.expect_update().times(1).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.snoozed");
    let until = now() + Duration::hours(3);
    let r = service_with(tx).snooze(&caller(OWNER), REMINDER, until, None).await.unwrap();
    assert_eq!((r.next_fire_at, r.snoozed_until), (Some(until), Some(until)));
    // After the snoozed firing the series carries on with its next occurrence after it.
    let after = crate::scheduler::after_firing(&r, until).unwrap();
    assert!(after > until);
    assert_eq!(r.schedule().next_after(until), Some(after));
}

#[tokio::test]
async fn snooze_into_the_past_is_invalid_and_opens_nothing() {
    let svc = service(MockReminderStore::new(), MockTargetAccess::new());
    let err = svc.snooze(&caller(OWNER), REMINDER, now(), None).await.unwrap_err();
    assert!(matches!(err, ReminderError::Invalid { field: "until", .. }));
}

#[tokio::test]
async fn snoozing_a_completed_reminder_is_refused() {
    let mut tx = tx_with(Reminder { status: ReminderStatus::Completed, ..stored(None) });
    tx.expect_update().never();
    expect_rollback(&mut tx);
    let err = service_with(tx).snooze(&caller(OWNER), REMINDER, now() + Duration::hours(1), None).await.unwrap_err();
    assert!(matches!(err, ReminderError::NotScheduled(ReminderStatus::Completed)));
}

#[tokio::test]
async fn snooze_after_the_last_firing_makes_it_fire_again() {
    let mut tx = tx_with(Reminder { next_fire_at: None, ..stored(None) });
    tx.expect_update().times(1).returning(|_, _| Ok(()));
    expect_event(&mut tx, "reminder.snoozed");
    let until = now() + Duration::minutes(10);
    let r = service_with(tx).snooze(&caller(OWNER), REMINDER, until, None).await.unwrap();
    assert_eq!(crate::scheduler::due_occurrence(&r, until).map(|o| o.due_at), Some(until));
}

#[tokio::test]
async fn failed_commit_is_reported() {
    let mut tx = tx_with(stored(None));
    tx.expect_update().returning(|_, _| Ok(()));
    tx.expect_record().times(1).returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Err(RepoError::Unavailable("lost".into())));
    let err = service_with(tx).cancel(&caller(OWNER), REMINDER, None).await.unwrap_err();
    assert!(matches!(err, ReminderError::Unavailable(_)));
}

#[tokio::test]
async fn update_to_a_note_target_checks_the_note() {
    let note = Target::Note(NoteId::from_uuid(Uuid::from_u128(0xD1)));
    let mut targets = MockTargetAccess::new();
    targets.expect_can_see().with(eq(OWNER), eq(note)).times(1).returning(|_, _| Ok(false));
    let svc = service(MockReminderStore::new(), targets);
    let changes = ReminderChanges { target: Some(Some(note)), ..ReminderChanges::default() };
    let err = svc.update(&caller(OWNER), REMINDER, changes, None).await.unwrap_err();
    assert!(matches!(err, ReminderError::Invalid { field: "target", .. }), "{err:?}");
}
