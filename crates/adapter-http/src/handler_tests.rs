//! Handler tests: the real router and middleware over mocked ports, no database. A mock with
//! no expectation panics when called, so these also prove which requests never reach a use case.

use std::sync::Arc;
use std::time::Duration;

use audit::{AuditService, MockAuditLog, MockAuditSeals};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use board::{BoardService, MockBoardStore, MockUserDirectory};
use chrono::{TimeZone as _, Utc};
use connector::webhooks::{MockWebhookStore, WebhookService};
use connector::{EventFeed, MockEventLog};
use dashboard::{DashboardService, MockDashboardCache, MockSources, MockStamps};
use identity::{
    AccessToken, Argon2Hasher, DisplayName, Email, IdentityService, MockIdentityStore, MockSessionStore, Role,
    ScopeSet, TokenName, User, UserStatus,
};
use kernel::{ManualClock, RepoError, SequentialIds, TokenId, UserId, Version};
use notes::{MockBoardAccess, MockNoteStore, NoteService};
use reminders::{MockNotificationStore, MockReminderStore, MockTargetAccess, NotificationService, ReminderService};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::state::{AppContext, HttpSettings, Readiness};

struct FixedReadiness(Result<(), String>);

#[async_trait::async_trait]
impl Readiness for FixedReadiness {
    async fn check(&self) -> Vec<(&'static str, Result<(), String>)> {
        vec![("database", self.0.clone())]
    }
}

fn user() -> User {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    User {
        id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
        email: Email::parse("ann@x.io").unwrap(),
        display_name: DisplayName::parse("Ann").unwrap(),
        role: Role::Member,
        status: UserStatus::Active,
        password_hash: None,
        version: Version::FIRST,
        created_at: at,
        updated_at: at,
    }
}

/// An identity store that knows one token, allowed `scopes`, of an active user.
fn identity_with_token(scopes: &[&str]) -> MockIdentityStore {
    let mut store = MockIdentityStore::new();
    let scopes = ScopeSet::parse(scopes).unwrap();
    store.expect_find_token_by_hash().returning(move |_| {
        let token = AccessToken {
            id: TokenId::from_uuid(uuid::Uuid::from_u128(2)),
            user_id: user().id,
            name: TokenName::parse("t").unwrap(),
            display_prefix: "cbp_x".into(),
            scopes: scopes.clone(),
            expires_at: None,
            // Used a moment ago, so authentication does not write `last_used_at`.
            last_used_at: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        };
        Ok(Some((token, user())))
    });
    store
}

fn app(identity: MockIdentityStore, boards: MockBoardStore, ready: Result<(), String>) -> axum::Router {
    app_with(identity, boards, Arc::new(FixedReadiness(ready)), HttpSettings::for_public_url("http://127.0.0.1:8080"))
}

fn app_with(
    identity: MockIdentityStore,
    boards: MockBoardStore,
    readiness: Arc<dyn Readiness>,
    settings: HttpSettings,
) -> axum::Router {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 30).unwrap()));
    let ids = Arc::new(SequentialIds::default());
    let identity = IdentityService::new(
        Arc::new(identity),
        Arc::new(MockSessionStore::new()),
        Arc::new(Argon2Hasher::fast_for_tests().expect("hashing threads")),
        clock.clone(),
        ids.clone(),
    );
    let notes =
        NoteService::new(Arc::new(MockNoteStore::new()), Arc::new(MockBoardAccess::new()), clock.clone(), ids.clone());
    let reminders = ReminderService::new(
        Arc::new(MockReminderStore::new()),
        Arc::new(MockTargetAccess::new()),
        clock.clone(),
        ids.clone(),
    );
    let notifications = NotificationService::new(Arc::new(MockNotificationStore::new()), clock.clone());
    let dashboard = DashboardService::new(
        Arc::new(MockStamps::new()),
        Arc::new(MockSources::new()),
        Arc::new(MockDashboardCache::new()),
        clock.clone(),
    );
    let webhooks = WebhookService::new(Arc::new(MockWebhookStore::new()), clock.clone(), ids.clone(), false);
    let boards = BoardService::new(Arc::new(boards), Arc::new(MockUserDirectory::new()), clock, ids);
    crate::router(AppContext {
        identity: Arc::new(identity),
        boards: Arc::new(boards),
        audit: Arc::new(AuditService::new(Arc::new(MockAuditLog::new()), Arc::new(MockAuditSeals::new()))),
        notes: Arc::new(notes),
        reminders: Arc::new(reminders),
        notifications: Arc::new(notifications),
        dashboard: Arc::new(dashboard),
        events: Arc::new(EventFeed::new(Arc::new(MockEventLog::new()))),
        webhooks: Arc::new(webhooks),
        idempotency: Arc::new(NoRecords),
        rate_limiter: Arc::new(Unlimited),
        readiness,
        settings: Arc::new(settings),
        board_views: crate::BoardViewCache::new(1 << 20),
        metrics: Arc::new(String::new),
    })
}

/// Counts nothing: every count is the first of its window.
struct Unlimited;

#[async_trait::async_trait]
impl kernel::RateLimiter for Unlimited {
    async fn hit(&self, keys: &[String], window: Duration) -> Result<kernel::Hits, RepoError> {
        Ok(kernel::Hits { counts: vec![1; keys.len()], reset: window })
    }
}

/// An idempotency store that keeps nothing: these tests send no `Idempotency-Key`.
struct NoRecords;

#[async_trait::async_trait]
impl kernel::IdempotencyStore for NoRecords {
    async fn claim(&self, _: &str, _: &str, _: Duration) -> Result<kernel::Claim, RepoError> {
        Ok(kernel::Claim::Acquired)
    }
    async fn complete(&self, _: &str, _: &str, _: &[u8], _: Duration) -> Result<(), RepoError> {
        Ok(())
    }
    async fn release(&self, _: &str, _: &str) -> Result<(), RepoError> {
        Ok(())
    }
}

async fn call(router: axum::Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = router.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn unauthenticated_requests_never_reach_a_use_case() {
    let router = app(MockIdentityStore::new(), MockBoardStore::new(), Ok(()));
    let (status, headers, body) = call(router, get("/api/v1/boards", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    assert_eq!((body["code"].as_str(), body["instance"].as_str()), (Some("UNAUTHENTICATED"), Some("/api/v1/boards")));
}

#[tokio::test]
async fn a_token_without_the_scope_is_refused_before_the_use_case() {
    let router = app(identity_with_token(&["notes:read"]), MockBoardStore::new(), Ok(()));
    let (status, _, body) = call(router, get("/api/v1/boards", Some("cbp_token"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "INSUFFICIENT_SCOPE");
}

#[tokio::test]
async fn a_store_outage_is_a_503_problem_that_says_when_to_retry() {
    let mut boards = MockBoardStore::new();
    boards.expect_list_boards_for_user().returning(|_, _| Err(RepoError::Unavailable("pool timed out".into())));
    let router = app(identity_with_token(&["boards:read"]), boards, Ok(()));
    let (status, headers, body) = call(router, get("/api/v1/boards", Some("cbp_token"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "5");
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    assert!(!body.to_string().contains("pool timed out"), "internals never leak: {body}");
}

#[tokio::test]
async fn a_panic_is_an_opaque_500_problem() {
    let mut boards = MockBoardStore::new();
    boards.expect_list_boards_for_user().returning(|_, _| panic!("secret internal detail"));
    let router = app(identity_with_token(&["boards:read"]), boards, Ok(()));
    let (status, _, body) = call(router, get("/api/v1/boards", Some("cbp_token"))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["code"], "INTERNAL");
    assert!(!body.to_string().contains("secret"), "{body}");
    assert!(body["request_id"].as_str().is_some_and(|r| !r.is_empty()));
}

/// A readiness check that answers after a while.
struct SlowReadiness(Duration);

#[async_trait::async_trait]
impl Readiness for SlowReadiness {
    async fn check(&self) -> Vec<(&'static str, Result<(), String>)> {
        tokio::time::sleep(self.0).await;
        vec![("database", Ok(()))]
    }
}

#[tokio::test]
async fn a_request_that_outlives_its_time_is_a_503_problem_and_one_in_time_keeps_its_answer() {
    let mut settings = HttpSettings::for_public_url("http://127.0.0.1:8080");
    settings.request_timeout = Duration::from_millis(200);
    let slow = Arc::new(SlowReadiness(Duration::from_secs(30)));
    let router = app_with(MockIdentityStore::new(), MockBoardStore::new(), slow, settings.clone());
    let (status, headers, body) = call(router, get("/health/ready", None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(headers[header::RETRY_AFTER], "5");
    assert_eq!(
        (body["code"].as_str(), body["instance"].as_str()),
        (Some("SERVICE_UNAVAILABLE"), Some("/health/ready"))
    );

    let waits = Arc::new(SlowReadiness(Duration::from_millis(20)));
    let router = app_with(MockIdentityStore::new(), MockBoardStore::new(), waits, settings);
    let (status, _, body) = call(router, get("/health/ready", None)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
}

#[tokio::test]
async fn readiness_is_503_with_the_failing_check_named() {
    let router = app(MockIdentityStore::new(), MockBoardStore::new(), Err("timed out".into()));
    let (status, headers, body) = call(router, get("/health/ready", None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json", "the health report, not a problem");
    assert_eq!(
        (body["status"].as_str(), body["checks"]["database"].as_str()),
        (Some("unavailable"), Some("timed out"))
    );
}
