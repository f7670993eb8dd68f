//! Notification use-case tests: mocked ports, a stopped clock, predictable ids.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use kernel::{Caller, ManualClock, NotificationId, RepoError, SequentialIds, UserId};
use mockall::predicate::eq;
use uuid::Uuid;

use super::NotificationService;
use crate::error::ReminderError;
use crate::model::Notification;
use crate::ports::{MockNotificationStore, MockNotificationTx};

const OWNER: UserId = UserId::from_uuid(Uuid::from_u128(0xA1));
const NOTIFICATION: NotificationId = NotificationId::from_uuid(Uuid::from_u128(0xD1));

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 28, 7, 0, 0).unwrap()
}

fn caller() -> Caller {
    Caller::user(OWNER, false)
}

fn notification(read_at: Option<DateTime<Utc>>) -> Notification {
    Notification {
        id: NOTIFICATION,
        user_id: OWNER,
        reminder_id: None,
        title: "Stand-up".to_owned(),
        body: String::new(),
        due_at: now() - Duration::hours(1),
        late: false,
        read_at,
        created_at: now() - Duration::hours(1),
    }
}

/// A service whose store hands out `tx` once.
fn service_with(tx: MockNotificationTx) -> NotificationService {
    let mut store = MockNotificationStore::new();
    store.expect_begin_notifications().times(1).return_once(move || Ok(Box::new(tx)));
    NotificationService::new(Arc::new(store), Arc::new(ManualClock::new(now())))
        .with_ids(Arc::new(SequentialIds::default()))
}

fn expect_event(tx: &mut MockNotificationTx, action: &'static str, resource_id: Uuid) {
    tx.expect_record()
        .times(1)
        .withf(move |e| {
            e.action == action
                && e.resource_type == "notification"
                && e.resource_id == resource_id
                && e.board_id.is_none()
        })
        .returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
}

fn expect_rollback(tx: &mut MockNotificationTx) {
    tx.expect_record().never();
    tx.expect_commit().never();
}

#[tokio::test]
async fn marking_an_unread_notification_read_records_and_commits_once() {
    let mut tx = MockNotificationTx::new();
    tx.expect_mark_read()
        .with(eq(OWNER), eq(NOTIFICATION), eq(now()))
        .times(1)
        .returning(|_, _, at| Ok((notification(Some(at)), true)));
    expect_event(&mut tx, "notification.read", NOTIFICATION.as_uuid());
    let read = service_with(tx).mark_read(&caller(), NOTIFICATION).await.unwrap();
    assert_eq!(read.read_at, Some(now()));
}

#[tokio::test]
async fn marking_a_read_notification_again_records_nothing() {
    let mut tx = MockNotificationTx::new();
    let earlier = now() - Duration::minutes(5);
    tx.expect_mark_read().times(1).returning(move |_, _, _| Ok((notification(Some(earlier)), false)));
    expect_rollback(&mut tx);
    let read = service_with(tx).mark_read(&caller(), NOTIFICATION).await.unwrap();
    assert_eq!(read.read_at, Some(earlier));
}

#[tokio::test]
async fn marking_a_missing_notification_read_is_not_found_and_rolls_back() {
    let mut tx = MockNotificationTx::new();
    tx.expect_mark_read().times(1).returning(|_, _, _| Err(RepoError::NotFound));
    expect_rollback(&mut tx);
    let err = service_with(tx).mark_read(&caller(), NOTIFICATION).await.unwrap_err();
    assert!(matches!(err, ReminderError::NotFound), "{err:?}");
}

#[tokio::test]
async fn marking_all_read_records_the_count_and_commits_once() {
    let mut tx = MockNotificationTx::new();
    tx.expect_mark_all_read().with(eq(OWNER), eq(now())).times(1).returning(|_, _| Ok(3));
    tx.expect_record()
        .times(1)
        .withf(|e| {
            e.action == "notification.read_all"
                && e.resource_type == "notification"
                && e.resource_id == OWNER.as_uuid()
                && e.changes.clone().into_json().to_string().contains("\"count\"")
        })
        .returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
    assert_eq!(service_with(tx).mark_all_read(&caller()).await.unwrap(), 3);
}

#[tokio::test]
async fn marking_all_read_with_nothing_unread_records_nothing() {
    let mut tx = MockNotificationTx::new();
    tx.expect_mark_all_read().times(1).returning(|_, _| Ok(0));
    expect_rollback(&mut tx);
    assert_eq!(service_with(tx).mark_all_read(&caller()).await.unwrap(), 0);
}
