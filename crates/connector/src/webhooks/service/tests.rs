//! The subscription use cases over mocked ports: ownership, the target policy, and the
//! unit-of-work contract (one event and one commit on success; nothing on a refusal).

use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use kernel::{Caller, DeliveryId, DomainEvent, ManualClock, SequentialIds, UserId, Version, WebhookId};
use uuid::Uuid;

use super::WebhookService;
use crate::webhooks::error::WebhookError;
use crate::webhooks::model::{EventTypes, NewWebhook, TargetUrl, Webhook, WebhookChanges, WebhookSecret};
use crate::webhooks::ports::{MockWebhookStore, MockWebhookTx};

const OWNER: UserId = UserId::from_uuid(Uuid::from_u128(0xA1));
const STRANGER: UserId = UserId::from_uuid(Uuid::from_u128(0xA2));
const HOOK: WebhookId = WebhookId::from_uuid(Uuid::from_u128(0xB1));

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

fn webhook() -> Webhook {
    Webhook {
        id: HOOK,
        owner_id: OWNER,
        url: TargetUrl::parse("https://hooks.example.com/in", false).unwrap(),
        description: String::new(),
        event_types: EventTypes::parse(&["card.*".into()]).unwrap(),
        secret: WebhookSecret::generate(),
        active: false,
        disabled_reason: Some("turned off".into()),
        failing_since: Some(t0()),
        version: Version::new(3),
        created_at: t0(),
        updated_at: t0(),
    }
}

fn service(store: MockWebhookStore, allow_private: bool) -> WebhookService {
    WebhookService::new(
        Arc::new(store),
        Arc::new(ManualClock::new(t0())),
        Arc::new(SequentialIds::default()),
        allow_private,
    )
}

/// A store holding [`webhook`].
fn holding() -> MockWebhookStore {
    let mut store = MockWebhookStore::new();
    store.expect_get().returning(|id| if id == HOOK { Ok(webhook()) } else { Err(kernel::RepoError::NotFound) });
    store
}

/// Expects one unit of work whose event is checked by `check`, written after `write`.
fn expect_unit(store: &mut MockWebhookStore, write: impl FnOnce(&mut MockWebhookTx), check: fn(&DomainEvent) -> bool) {
    let mut tx = MockWebhookTx::new();
    write(&mut tx);
    tx.expect_record().times(1).withf(check).returning(|_| Ok(()));
    tx.expect_commit().times(1).returning(|| Ok(()));
    store.expect_begin().times(1).return_once(move || Ok(Box::new(tx)));
}

fn new(url: &str) -> NewWebhook {
    NewWebhook {
        url: url.into(),
        description: " Sync ".into(),
        event_types: EventTypes::parse(&["*".into()]).unwrap(),
        active: true,
    }
}

#[tokio::test]
async fn a_new_webhook_gets_a_secret_and_its_event_never_holds_it() {
    let mut store = MockWebhookStore::new();
    expect_unit(
        &mut store,
        |tx| {
            tx.expect_insert().times(1).withf(|w| w.owner_id == OWNER && w.description == "Sync").returning(|_| Ok(()));
        },
        |e| {
            e.action == "webhook.created"
                && e.changes.as_map()["secret"]["after"] == "[REDACTED]"
                && e.changes.as_map()["url"]["after"] == "https://hooks.example.com/in"
        },
    );
    let made =
        service(store, false).create(&Caller::user(OWNER, false), new("https://hooks.example.com/in")).await.unwrap();
    assert!(made.secret.expose().starts_with("whsec_"));
    assert!(made.active);
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    for url in
        ["http://127.0.0.1:9000/", "http://[::1]/", "http://localhost/x", "http://10.0.0.7/", "ftp://example.com/"]
    {
        let refused = service(MockWebhookStore::new(), false).create(&Caller::user(OWNER, false), new(url)).await;
        assert!(matches!(refused, Err(WebhookError::Invalid { field: "url", .. })), "{url}");
    }
    let mut store = MockWebhookStore::new();
    expect_unit(
        &mut store,
        |tx| {
            tx.expect_insert().returning(|_| Ok(()));
        },
        |_| true,
    );
    let allowed = service(store, true).create(&Caller::user(OWNER, false), new("http://127.0.0.1:9000/")).await;
    assert!(allowed.is_ok());
}

#[tokio::test]
async fn another_users_webhook_does_not_exist_for_them_even_for_an_administrator() {
    let svc = service(holding(), false);
    let stranger = Caller::user(STRANGER, true);
    assert!(matches!(svc.get(&stranger, HOOK).await, Err(WebhookError::NotFound)));
    assert!(matches!(svc.delete(&stranger, HOOK, None).await, Err(WebhookError::NotFound)));
    let deliveries = svc.deliveries(&stranger, HOOK, kernel::PageRequest::first()).await;
    assert!(matches!(deliveries, Err(WebhookError::NotFound)));
    let resend = svc.redeliver(&stranger, HOOK, DeliveryId::from_uuid(Uuid::nil())).await;
    assert!(matches!(resend, Err(WebhookError::NotFound)));
}

#[tokio::test]
async fn turning_a_webhook_on_forgets_its_failures_and_a_rotation_is_recorded_without_the_secret() {
    let mut store = holding();
    expect_unit(
        &mut store,
        |tx| {
            tx.expect_update()
                .times(1)
                .withf(|w, expected| {
                    w.active
                        && w.disabled_reason.is_none()
                        && w.failing_since.is_none()
                        && *expected == Version::new(3)
                        && w.version == Version::new(4)
                })
                .returning(|_, _| Ok(()));
        },
        |e| e.action == "webhook.updated" && e.changes.as_map()["secret"]["after"] == "[REDACTED]",
    );
    let changes = WebhookChanges { active: Some(true), rotate_secret: true, ..WebhookChanges::default() };
    let before = webhook().secret;
    let after = service(store, false).update(&Caller::user(OWNER, false), HOOK, changes, None).await.unwrap();
    assert_ne!(after.secret, before);
}

#[tokio::test]
async fn a_change_that_changes_nothing_writes_nothing_and_a_stale_version_is_refused() {
    let svc = service(holding(), false);
    let owner = Caller::user(OWNER, false);
    let same = WebhookChanges { active: Some(false), ..WebhookChanges::default() };
    assert_eq!(svc.update(&owner, HOOK, same, None).await.unwrap().version, Version::new(3));
    let stale = svc.update(&owner, HOOK, WebhookChanges::default(), Some(Version::new(2))).await;
    assert!(matches!(stale, Err(WebhookError::VersionMismatch)));
}

#[tokio::test]
async fn a_turned_off_webhook_cannot_resend() {
    let resend = service(holding(), false)
        .redeliver(&Caller::user(OWNER, false), HOOK, DeliveryId::from_uuid(Uuid::nil()))
        .await;
    assert!(matches!(resend, Err(WebhookError::Inactive)));
}
