//! Webhooks' stores (decision 0049) on SQLite and PostgreSQL, driven through the dispatcher
//! with a recording sender and a manual clock: a fan-out empties the outbox into one delivery
//! per webhook that wants and may see each event (never twice); a claim holds a delivery for
//! its lease; an attempt's outcome moves the delivery on and keeps the webhook's failure
//! streak; a round that runs out turns the webhook off with an event; a webhook changes and is
//! deleted (with its deliveries) at its version only; done deliveries past the retention are
//! pruned, pending ones never; and on PostgreSQL two dispatchers claim disjoint deliveries.

use std::sync::{Arc, Mutex};

use adapter_sea_orm::{SeaDeliveryQueue, SeaIdentityStore, SeaWebhookStore};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use connector::webhooks::{
    DeliveryQueue as _, DeliveryStatus, DispatchSettings, Dispatcher, EventTypes, Outgoing, Sent, TargetUrl, Webhook,
    WebhookSecret, WebhookSender, WebhookStore as _,
};
use corkboard_tests::{Backend, TestDb, databases};
use identity::IdentityStore as _;
use kernel::{
    Actor, Changes, Clock as _, DomainEvent, ManualClock, PageRequest, RepoError, RequestMeta, UserId, UuidV7, Version,
    WebhookId,
};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

/// Answers every request with the status it is set to, and keeps the requests.
#[derive(Default)]
struct Recorder {
    status: Mutex<u16>,
    seen: Mutex<Vec<Outgoing>>,
}

impl Recorder {
    fn answering(status: u16) -> Arc<Self> {
        Arc::new(Self { status: Mutex::new(status), seen: Mutex::default() })
    }

    fn seen(&self) -> Vec<Outgoing> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl WebhookSender for Recorder {
    async fn send(&self, request: &Outgoing) -> Sent {
        self.seen.lock().unwrap().push(request.clone());
        Sent::Answered(*self.status.lock().unwrap())
    }
}

struct Fixture {
    db: TestDb,
    clock: Arc<ManualClock>,
    sender: Arc<Recorder>,
    dispatcher: Dispatcher,
}

fn fixture(db: TestDb, answering: u16) -> Fixture {
    let clock = Arc::new(ManualClock::new(t0()));
    let sender = Recorder::answering(answering);
    let dispatcher = Dispatcher::new(
        Arc::new(SeaDeliveryQueue::new(db.db.clone())),
        sender.clone(),
        clock.clone(),
        Arc::new(UuidV7),
        DispatchSettings { batch_size: 50, concurrency: 4, lease: Duration::minutes(1) },
    );
    Fixture { db, clock, sender, dispatcher }
}

fn event(action: &'static str, actor: Option<UserId>) -> DomainEvent {
    DomainEvent {
        id: Uuid::now_v7(),
        occurred_at: t0(),
        actor: actor.map_or(Actor::System, Actor::User),
        action,
        resource_type: "note",
        resource_id: Uuid::now_v7(),
        board_id: None,
        changes: Changes::new().set("title", "Plan"),
        meta: RequestMeta::default(),
    }
}

async fn record(db: &TestDb, events: &[DomainEvent]) {
    let tx = SeaIdentityStore::new(db.db.clone()).begin().await.unwrap();
    for e in events {
        tx.record(e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn subscribe(db: &TestDb, owner: UserId, types: &[&str]) -> Webhook {
    let hook = Webhook {
        id: WebhookId::from_uuid(Uuid::now_v7()),
        owner_id: owner,
        url: TargetUrl::parse("https://hooks.example.com/in", false).unwrap(),
        description: String::new(),
        event_types: EventTypes::parse(&types.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>()).unwrap(),
        secret: WebhookSecret::generate(),
        active: true,
        disabled_reason: None,
        failing_since: None,
        version: Version::FIRST,
        created_at: t0(),
        updated_at: t0(),
    };
    let tx = SeaWebhookStore::new(db.db.clone()).begin().await.unwrap();
    tx.insert(&hook).await.unwrap();
    tx.commit().await.unwrap();
    hook
}

#[tokio::test]
async fn a_fan_out_empties_the_outbox_into_the_deliveries_each_owner_may_see_once() {
    for db in databases().await {
        let f = fixture(db, 200);
        let users = f.db.insert_users(2).await;
        let (ann, bob) = (users[0], users[1]);
        // Events made before: the outbox holds them; nothing listens yet.
        let ann_hook = subscribe(&f.db, ann, &["note.*"]).await;
        let bob_hook = subscribe(&f.db, bob, &["*"]).await;
        record(
            &f.db,
            &[event("note.created", Some(ann)), event("note.deleted", Some(bob)), event("reminder.fired", None)],
        )
        .await;
        let outbox = f.db.count("outbox_events").await;
        assert!(outbox >= 3, "{:?}", f.db.backend);

        assert_eq!(f.dispatcher.relay().await.unwrap(), usize::try_from(outbox).unwrap(), "{:?}", f.db.backend);
        assert_eq!(f.db.count("outbox_events").await, 0, "taken out of the outbox");
        let store = SeaWebhookStore::new(f.db.db.clone());
        let types = |page: kernel::Page<connector::webhooks::Delivery>| {
            page.items.into_iter().map(|d| d.event_type).collect::<Vec<_>>()
        };
        // Ann: her own note event; Bob: his own (not Ann's, nor the system's).
        assert_eq!(types(store.deliveries(ann_hook.id, PageRequest::first()).await.unwrap()), ["note.created"]);
        assert_eq!(types(store.deliveries(bob_hook.id, PageRequest::first()).await.unwrap()), ["note.deleted"]);
        assert_eq!(f.dispatcher.relay().await.unwrap(), 0, "nothing left to fan out");
        assert_eq!(f.db.count("webhook_deliveries").await, 2, "{:?}", f.db.backend);
    }
}

#[tokio::test]
async fn an_attempt_is_claimed_once_per_lease_and_a_success_is_the_end_of_it() {
    for db in databases().await {
        let f = fixture(db, 204);
        let ann = f.db.insert_users(1).await[0];
        let hook = subscribe(&f.db, ann, &["*"]).await;
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut made = event("note.created", Some(ann));
        made.meta.traceparent = Some(traceparent.into());
        record(&f.db, &[made]).await;
        f.dispatcher.relay().await.unwrap();

        let queue = SeaDeliveryQueue::new(f.db.db.clone());
        let claimed = queue.claim_due(t0(), t0() + Duration::minutes(1), 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{:?}", f.db.backend);
        assert_eq!(claimed[0].url, "https://hooks.example.com/in");
        assert_eq!(claimed[0].secret, hook.secret);
        assert_eq!(claimed[0].traceparent.as_deref(), Some(traceparent), "kept from the event to its delivery");
        assert!(queue.claim_due(t0(), t0() + Duration::minutes(1), 10).await.unwrap().is_empty(), "held by its lease");
        // The worker that claimed it died: it comes due again when the lease ends.
        f.clock.advance(Duration::minutes(2));
        let report = f.dispatcher.deliver().await.unwrap();
        assert_eq!((report.claimed, report.succeeded), (1, 1), "{:?}", f.db.backend);
        let sent = f.sender.seen();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].traceparent.as_deref(), Some(traceparent));
        let header = |name: &str| sent[0].headers.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let store = SeaWebhookStore::new(f.db.db.clone());
        let delivery = store.deliveries(hook.id, PageRequest::first()).await.unwrap().items.remove(0);
        assert_eq!(header("webhook-id"), delivery.id.to_string());
        assert_eq!(delivery.status, DeliveryStatus::Succeeded);
        assert_eq!((delivery.attempts, delivery.last_status_code, delivery.next_attempt_at), (1, Some(204), None));
        let attempts = store.attempts(delivery.id, PageRequest::first()).await.unwrap().items;
        assert_eq!(attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(), [Some(204)]);
        let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
        assert_eq!(body["data"]["changes"]["title"]["after"], "Plan");
        assert_eq!(f.dispatcher.deliver().await.unwrap().claimed, 0, "{:?}: done", f.db.backend);
    }
}

#[tokio::test]
async fn failures_are_retried_and_a_round_that_runs_out_turns_the_webhook_off() {
    for db in databases().await {
        let f = fixture(db, 503);
        let ann = f.db.insert_users(1).await[0];
        let hook = subscribe(&f.db, ann, &["*"]).await;
        record(&f.db, &[event("note.created", Some(ann))]).await;
        f.dispatcher.relay().await.unwrap();
        let store = SeaWebhookStore::new(f.db.db.clone());

        assert_eq!(f.dispatcher.deliver().await.unwrap().failed, 1);
        let d = store.deliveries(hook.id, PageRequest::first()).await.unwrap().items.remove(0);
        assert_eq!((d.status, d.attempts, d.last_status_code), (DeliveryStatus::Pending, 1, Some(503)));
        let next = d.next_attempt_at.unwrap();
        assert!(next > t0() + Duration::seconds(20) && next < t0() + Duration::seconds(40), "{next}");
        assert_eq!(store.get(hook.id).await.unwrap().failing_since, Some(t0()), "{:?}", f.db.backend);
        assert_eq!(f.dispatcher.deliver().await.unwrap().claimed, 0, "not due yet");

        // Every attempt of the day fails.
        let mut attempts = 1;
        while f.dispatcher.deliver().await.unwrap().disabled == 0 {
            f.clock.advance(Duration::minutes(30));
            attempts += 1;
            assert!(attempts < 200, "{:?}: the round never ran out", f.db.backend);
        }
        let d = store.deliveries(hook.id, PageRequest::first()).await.unwrap().items.remove(0);
        assert_eq!(d.status, DeliveryStatus::Failed, "{:?}", f.db.backend);
        assert!((5..=20).contains(&d.attempts), "{} attempts", d.attempts);
        let off = store.get(hook.id).await.unwrap();
        assert!(!off.active && off.version == Version::new(2), "{:?}", f.db.backend);
        assert!(off.disabled_reason.unwrap().contains("every attempt failed"));
        assert_eq!(f.db.count("audit_events WHERE action = 'webhook.disabled'").await, 1);

        // A turned-off webhook's deliveries wait; re-sent, it starts a new round.
        let tx = store.begin().await.unwrap();
        let again = tx.requeue(hook.id, d.id, f.clock.now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((again.status, again.round_started_at), (DeliveryStatus::Pending, f.clock.now()));
        assert_eq!(f.dispatcher.deliver().await.unwrap().claimed, 0, "{:?}: the webhook is off", f.db.backend);
        let other = WebhookId::from_uuid(Uuid::now_v7());
        let tx = store.begin().await.unwrap();
        assert!(matches!(tx.requeue(other, d.id, t0()).await, Err(RepoError::NotFound)), "another webhook's delivery");
    }
}

#[tokio::test]
async fn a_webhook_is_changed_and_deleted_with_its_deliveries_at_its_version_only() {
    for db in databases().await {
        let f = fixture(db, 500);
        let ann = f.db.insert_users(1).await[0];
        let hook = subscribe(&f.db, ann, &["*"]).await;
        record(&f.db, &[event("note.created", Some(ann))]).await;
        f.dispatcher.relay().await.unwrap();
        f.dispatcher.deliver().await.unwrap();
        assert_eq!((f.db.count("webhook_deliveries").await, f.db.count("webhook_attempts").await), (1, 1));

        let store = SeaWebhookStore::new(f.db.db.clone());
        let changed = Webhook {
            url: TargetUrl::parse("https://other.example.com/in", false).unwrap(),
            description: "moved".into(),
            active: false,
            version: Version::new(2),
            ..hook.clone()
        };
        let tx = store.begin().await.unwrap();
        tx.update(&changed, Version::FIRST).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.get(hook.id).await.unwrap(), changed, "{:?}", f.db.backend);
        let tx = store.begin().await.unwrap();
        let stale = tx.update(&changed, Version::FIRST).await;
        assert!(matches!(stale, Err(RepoError::Conflict(_))), "{:?}: {stale:?}", f.db.backend);
        drop(tx);
        let tx = store.begin().await.unwrap();
        let stale = tx.delete(hook.id, Version::new(7)).await;
        assert!(matches!(stale, Err(RepoError::Conflict(_))), "{:?}: {stale:?}", f.db.backend);
        drop(tx);
        let tx = store.begin().await.unwrap();
        tx.delete(hook.id, Version::new(2)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((f.db.count("webhook_deliveries").await, f.db.count("webhook_attempts").await), (0, 0));
        assert!(matches!(store.get(hook.id).await, Err(RepoError::NotFound)));
    }
}

#[tokio::test]
async fn pruning_deletes_done_deliveries_queued_before_a_time_and_keeps_pending_ones() {
    for db in databases().await {
        let f = fixture(db, 200);
        let ann = f.db.insert_users(1).await[0];
        subscribe(&f.db, ann, &["*"]).await;
        record(&f.db, &[event("note.created", Some(ann)), event("note.updated", Some(ann))]).await;
        f.dispatcher.relay().await.unwrap();
        assert_eq!(f.dispatcher.deliver().await.unwrap().succeeded, 2);
        record(&f.db, &[event("note.deleted", Some(ann))]).await;
        f.dispatcher.relay().await.unwrap();
        assert_eq!((f.db.count("webhook_deliveries").await, f.db.count("webhook_attempts").await), (3, 2));

        // Delivery ids are UUIDv7 of when they were queued (now, by the system clock).
        let queue = SeaDeliveryQueue::new(f.db.db.clone());
        assert_eq!(queue.prune(Utc::now() - Duration::hours(1), 10).await.unwrap(), 0, "{:?}", f.db.backend);
        let later = Utc::now() + Duration::minutes(1);
        assert_eq!(queue.prune(later, 1).await.unwrap(), 1, "{:?}: a batch at most", f.db.backend);
        assert_eq!(queue.prune(later, 10).await.unwrap(), 1);
        assert_eq!(queue.prune(later, 10).await.unwrap(), 0, "the pending one stays");
        let left = f.db.count("webhook_deliveries WHERE status = 'pending'").await;
        assert_eq!((left, f.db.count("webhook_attempts").await), (1, 0), "{:?}", f.db.backend);
    }
}

#[tokio::test]
async fn on_postgres_two_dispatchers_claim_disjoint_deliveries() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let f = fixture(db, 200);
    let ann = f.db.insert_users(1).await[0];
    subscribe(&f.db, ann, &["*"]).await;
    let events: Vec<_> = (0..40).map(|_| event("note.created", Some(ann))).collect();
    record(&f.db, &events).await;
    f.dispatcher.relay().await.unwrap();
    let (one, other) = (SeaDeliveryQueue::new(f.db.db.clone()), SeaDeliveryQueue::new(f.db.db.clone()));
    let lease = t0() + Duration::minutes(1);
    let (first, second) = tokio::join!(one.claim_due(t0(), lease, 25), other.claim_due(t0(), lease, 25));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.len() + second.len(), 40);
    let ids: std::collections::HashSet<_> = first.iter().chain(&second).map(|d| d.delivery.id).collect();
    assert_eq!(ids.len(), 40, "no delivery claimed twice");
}
