//! Fan-out and delivery over mocked ports: who gets which event, how attempts are signed, and
//! what follows a success, a failure and a round that ran out.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use kernel::{BoardId, DeliveryId, ManualClock, SequentialIds, UserId, WebhookId};
use uuid::Uuid;

use super::{DispatchSettings, Dispatcher, plan};
use crate::webhooks::model::{
    AfterAttempt, Delivery, DeliveryStatus, DueDelivery, EventTypes, FinishedAttempt, OutboxEvent, Subscriber,
    WebhookSecret,
};
use crate::webhooks::ports::{MockDeliveryQueue, MockRelayTx, MockWebhookSender, Outgoing, Sent};
use crate::webhooks::signing::sign;

const ANN: UserId = UserId::from_uuid(Uuid::from_u128(0xA1));
const BOB: UserId = UserId::from_uuid(Uuid::from_u128(0xA2));
const ADMIN: UserId = UserId::from_uuid(Uuid::from_u128(0xA3));
const BOARD: BoardId = BoardId::from_uuid(Uuid::from_u128(0xB1));
const OTHER: BoardId = BoardId::from_uuid(Uuid::from_u128(0xB2));

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

fn event(n: u128, action: &str, board: Option<BoardId>, actor: Option<UserId>) -> OutboxEvent {
    OutboxEvent {
        id: Uuid::from_u128(n),
        occurred_at: t0(),
        action: action.into(),
        resource_type: action.split('.').next().unwrap().into(),
        resource_id: Uuid::from_u128(0xF0 + n),
        board_id: board,
        actor_id: actor,
        changes: serde_json::json!({"title": {"before": null, "after": "x"}}),
        traceparent: Some(traceparent(n)),
    }
}

/// The `traceparent` of the request that made event `n`.
fn traceparent(n: u128) -> String {
    format!("00-{:032x}-00f067aa0ba902b7-01", 0x4bf9_0000 + n)
}

fn subscriber(n: u128, owner: UserId, admin: bool, types: &[&str], boards: &[BoardId]) -> Subscriber {
    Subscriber {
        webhook_id: WebhookId::from_uuid(Uuid::from_u128(n)),
        owner_id: owner,
        owner_is_admin: admin,
        event_types: EventTypes::parse(&types.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>()).unwrap(),
        boards: boards.iter().copied().collect::<HashSet<_>>(),
    }
}

#[test]
fn each_webhook_gets_the_events_its_owner_may_see_and_wants() {
    let events = [
        event(1, "card.moved", Some(BOARD), Some(BOB)),
        event(2, "card.created", Some(OTHER), Some(BOB)),
        event(3, "note.created", None, Some(ANN)),
        event(4, "reminder.fired", None, None),
    ];
    let subscribers = [
        subscriber(1, ANN, false, &["card.*", "note.created"], &[BOARD]),
        subscriber(2, ADMIN, true, &["*"], &[]),
        subscriber(3, BOB, false, &["card.moved"], &[BOARD, OTHER]),
    ];
    let mut n = 0;
    let planned = plan(&events, &subscribers, t0(), || {
        n += 1;
        DeliveryId::from_uuid(Uuid::from_u128(n))
    });
    let got: Vec<(u128, u128)> =
        planned.iter().map(|d| (d.webhook_id.as_uuid().as_u128(), d.event_id.as_u128())).collect();
    // Ann: her board's card event and her own note; not the card on a board she is not on,
    // nor the system's reminder. The administrator: everything. Bob: only `card.moved`.
    assert_eq!(got, [(1, 1), (2, 1), (3, 1), (2, 2), (1, 3), (2, 3), (2, 4)]);
    assert!(planned.iter().all(|d| d.created_at == t0()));
    assert!(
        planned.iter().all(|d| d.traceparent.as_deref() == Some(traceparent(d.event_id.as_u128()).as_str())),
        "each delivery continues its event's trace"
    );
    let body: serde_json::Value = serde_json::from_str(&planned[0].body).unwrap();
    assert_eq!(body["type"], "card.moved");
    assert_eq!(body["data"]["board_id"], BOARD.to_string());
    assert_eq!(body["data"]["changes"]["title"]["after"], "x");
    assert_eq!(planned[0].body, planned[1].body, "one body per event");
}

fn settings() -> DispatchSettings {
    DispatchSettings { batch_size: 10, concurrency: 4, lease: Duration::minutes(1) }
}

fn dispatcher(queue: MockDeliveryQueue, sender: MockWebhookSender, clock: Arc<ManualClock>) -> Dispatcher {
    Dispatcher::new(Arc::new(queue), Arc::new(sender), clock, Arc::new(SequentialIds::default()), settings())
}

#[tokio::test]
async fn a_fan_out_queues_what_the_plan_says_and_takes_the_events_out_of_the_outbox_in_one_unit() {
    let mut tx = MockRelayTx::new();
    tx.expect_take().times(1).returning(|limit| {
        assert_eq!(limit, 10);
        Ok(vec![event(1, "card.moved", Some(BOARD), Some(BOB)), event(2, "card.moved", Some(BOARD), None)])
    });
    tx.expect_subscribers()
        .times(1)
        .withf(|boards| boards == &[BOARD])
        .returning(|_| Ok(vec![subscriber(1, ANN, false, &["*"], &[BOARD])]));
    tx.expect_queue().times(1).withf(|d| d.len() == 2).returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
    let mut queue = MockDeliveryQueue::new();
    queue.expect_begin_relay().times(1).return_once(move || Ok(Box::new(tx)));
    let taken = dispatcher(queue, MockWebhookSender::new(), Arc::new(ManualClock::new(t0()))).relay().await;
    assert_eq!(taken.unwrap(), 2);
}

#[tokio::test]
async fn pruning_deletes_done_deliveries_older_than_the_retention_a_batch_at_a_time() {
    let mut queue = MockDeliveryQueue::new();
    let mut batches = vec![1000_u64, 1000, 7].into_iter();
    queue
        .expect_prune()
        .times(3)
        .withf(|before, limit| *before == t0() - Duration::days(30) && *limit == 1000)
        .returning(move |_, _| Ok(batches.next().unwrap()));
    let clock = Arc::new(ManualClock::new(t0()));
    let removed = dispatcher(queue, MockWebhookSender::new(), clock).prune(Duration::days(30)).await;
    assert_eq!(removed.unwrap(), 2007);
}

#[tokio::test]
async fn an_empty_outbox_commits_nothing() {
    let mut tx = MockRelayTx::new();
    tx.expect_take().returning(|_| Ok(vec![]));
    let mut queue = MockDeliveryQueue::new();
    queue.expect_begin_relay().return_once(move || Ok(Box::new(tx)));
    let taken = dispatcher(queue, MockWebhookSender::new(), Arc::new(ManualClock::new(t0()))).relay().await;
    assert_eq!(taken.unwrap(), 0);
}

fn due(round_started_at: DateTime<Utc>, failing_since: Option<DateTime<Utc>>, secret: &WebhookSecret) -> DueDelivery {
    DueDelivery {
        delivery: Delivery {
            id: DeliveryId::from_uuid(Uuid::from_u128(0xD1)),
            webhook_id: WebhookId::from_uuid(Uuid::from_u128(0xE1)),
            event_id: Uuid::from_u128(1),
            event_type: "card.moved".into(),
            body: r#"{"type":"card.moved"}"#.into(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(round_started_at),
            last_attempt_at: None,
            last_status_code: None,
            round_started_at,
            created_at: round_started_at,
        },
        url: "https://hooks.example.com/in".into(),
        secret: secret.clone(),
        owner_id: ANN,
        failing_since,
        traceparent: Some(traceparent(1)),
    }
}

/// Delivers one claimed delivery answered by `sent`; returns what was recorded and sent.
async fn deliver_one(due: DueDelivery, sent: Sent) -> (FinishedAttempt, Outgoing) {
    let clock = Arc::new(ManualClock::new(t0()));
    let mut queue = MockDeliveryQueue::new();
    queue
        .expect_claim_due()
        .times(1)
        .withf(|now, lease_until, limit| *now == t0() && *lease_until == t0() + Duration::minutes(1) && *limit == 10)
        .return_once(move |_, _, _| Ok(vec![due]));
    let recorded = Arc::new(Mutex::new(None));
    let keep = recorded.clone();
    queue.expect_finish().times(1).returning(move |f| {
        *keep.lock().unwrap() = Some(f.clone());
        Ok(())
    });
    let outgoing = Arc::new(Mutex::new(None));
    let seen = outgoing.clone();
    let mut sender = MockWebhookSender::new();
    sender.expect_send().times(1).returning(move |r| {
        *seen.lock().unwrap() = Some(r.clone());
        sent.clone()
    });
    let report = dispatcher(queue, sender, clock).deliver().await.unwrap();
    assert_eq!(report.claimed, 1);
    let finished = recorded.lock().unwrap().take().unwrap();
    let request = outgoing.lock().unwrap().take().unwrap();
    (finished, request)
}

#[tokio::test]
async fn an_attempt_is_signed_as_standard_webhooks_says_and_a_2xx_is_the_end_of_it() {
    let secret = WebhookSecret::generate();
    let (finished, request) = deliver_one(due(t0(), None, &secret), Sent::Answered(204)).await;
    assert_eq!(finished.next, AfterAttempt::Succeeded);
    assert!(finished.disable.is_none());
    assert_eq!(finished.attempt.status_code, Some(204));
    let header = |name| request.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(header("webhook-id"), Uuid::from_u128(0xD1).to_string());
    assert_eq!(header("webhook-timestamp"), t0().timestamp().to_string());
    let expected = sign(&secret, &header("webhook-id"), t0().timestamp(), &request.body).unwrap();
    assert_eq!(header("webhook-signature"), expected);
    assert_eq!(request.url, "https://hooks.example.com/in");
    assert_eq!(request.traceparent, Some(traceparent(1)));
}

#[tokio::test]
async fn a_failure_is_retried_later_within_the_round() {
    let secret = WebhookSecret::generate();
    for sent in [Sent::Answered(500), Sent::Answered(302), Sent::Failed("timed out".into())] {
        let (finished, _) = deliver_one(due(t0(), None, &secret), sent.clone()).await;
        let AfterAttempt::RetryAt(at) = finished.next else { panic!("{sent:?}: {:?}", finished.next) };
        assert!(at >= t0() + Duration::seconds(24) && at <= t0() + Duration::seconds(36), "{sent:?}: {at}");
        assert!(finished.disable.is_none());
    }
}

#[tokio::test]
async fn a_round_that_runs_out_turns_the_webhook_off_unless_something_succeeded_since_it_began() {
    let secret = WebhookSecret::generate();
    let began = t0() - Duration::hours(23);
    let (finished, _) = deliver_one(due(began, Some(began - Duration::hours(1)), &secret), Sent::Answered(503)).await;
    assert_eq!(finished.next, AfterAttempt::GaveUp);
    let (reason, event) = finished.disable.expect("turned off");
    assert!(reason.contains("every attempt failed"), "{reason}");
    assert_eq!((event.action, event.resource_id), ("webhook.disabled", Uuid::from_u128(0xE1)));

    let (finished, _) = deliver_one(due(began, Some(began + Duration::hours(2)), &secret), Sent::Answered(503)).await;
    assert_eq!(finished.next, AfterAttempt::GaveUp);
    assert!(finished.disable.is_none(), "a success came after the round began");
}
