//! Webhooks through the API on every backend, with the dispatcher running against a receiver
//! on loopback: subscriptions are the owner's alone, validated, versioned, and show their
//! secret only when made or rotated; a change on a board reaches the webhooks of its members
//! (not of others) as a Standard Webhooks request whose signature verifies with the secret;
//! a failed attempt is listed and retried later, and a re-sent delivery arrives again under
//! the same `webhook-id`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use corkboard_tests::{Backend, TestApp};
use hmac::{Hmac, Mac as _};
use reqwest::Method;
use serde_json::{Value, json};

use crate::board_support::{board, card, column, etag_of, id_of, if_match, member, with_token};

/// What the receiver got: each request's headers and body, by path.
type Received = Arc<Mutex<Vec<(String, HeaderMap, String)>>>;

/// A receiver on loopback answering every POST with the status it is set to.
struct Receiver {
    url: String,
    status: Arc<Mutex<u16>>,
    received: Received,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let status = Arc::new(Mutex::new(200_u16));
        let received: Received = Arc::default();
        let (answer, keep) = (status.clone(), received.clone());
        let app = axum::Router::new().route(
            "/{hook}",
            axum::routing::post(
                move |axum::extract::Path(hook): axum::extract::Path<String>, headers: HeaderMap, body: String| {
                    let (answer, keep) = (answer.clone(), keep.clone());
                    async move {
                        keep.lock().unwrap().push((hook, headers, body));
                        StatusCode::from_u16(*answer.lock().unwrap()).unwrap()
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, status, received, server }
    }

    fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }

    /// The requests to `/{hook}` so far: headers, and the body as sent.
    fn got(&self, hook: &str) -> Vec<(HeaderMap, String)> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .filter(|(h, _, _)| h == hook)
            .map(|(_, headers, body)| (headers.clone(), body.clone()))
            .collect()
    }

    /// Waits until `/{hook}` got `n` requests.
    async fn wait_for(&self, hook: &str, n: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..300 {
            let got = self.got(hook);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{hook} got {} requests, not {n}", self.got(hook).len());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn app_with_dispatcher(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| {
        c.workers = true;
        c.webhooks.poll_interval_ms = 20;
        c.webhooks.allow_private_targets = true;
    })
    .await
}

/// Checks a Standard Webhooks signature with an HMAC of our own, independent of the server's.
fn verifies(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    let (id, ts) = (headers["webhook-id"].to_str().unwrap(), headers["webhook-timestamp"].to_str().unwrap());
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    headers["webhook-signature"].to_str().unwrap() == expected
}

#[tokio::test]
async fn subscriptions_are_the_owners_alone_validated_versioned_and_show_the_secret_only_when_made_or_rotated() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else { continue };
        let ann = app.user("ann@x.io", false).await;
        let admin = app.user("boss@x.io", true).await;
        let made = ann
            .post("/api/v1/webhooks", &json!({"url": "https://hooks.example.com/a", "event_types": ["card.*"]}))
            .await
            .expect(201);
        let id = id_of(&made);
        let secret = made.body["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{backend:?}");
        assert_eq!(made.header("location"), Some(format!("/api/v1/webhooks/{id}").as_str()));
        assert_eq!((made.body["active"].clone(), made.body["version"].clone()), (json!(true), json!(1)));
        let read = ann.get(&format!("/api/v1/webhooks/{id}")).await.expect(200);
        assert!(read.body.get("secret").is_none(), "the secret is shown once");
        assert_eq!(ann.get("/api/v1/webhooks").await.expect(200).body["items"][0]["id"], id.as_str());

        // Not anyone else's, administrators included.
        admin.get(&format!("/api/v1/webhooks/{id}")).await.expect_problem(404, "NOT_FOUND");
        assert_eq!(admin.get("/api/v1/webhooks").await.expect(200).body["items"], json!([]));

        // Bad input is a 422 naming the field.
        for (body, field) in [
            (json!({"url": "ftp://x.io/", "event_types": ["*"]}), "url"),
            (json!({"url": "https://x.io/", "event_types": ["Card Moved"]}), "event_types"),
            (json!({"url": "https://x.io/", "event_types": []}), "event_types"),
            (json!({"url": "https://user:pw@x.io/", "event_types": ["*"]}), "url"),
            (json!({"url": "https://x.io/a b", "event_types": ["*"]}), "url"),
            (json!({"url": "https://x.io\\a", "event_types": ["*"]}), "url"),
        ] {
            let refused = ann.post("/api/v1/webhooks", &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(refused.body["errors"][0]["field"], field, "{body}");
        }

        // A target is kept normalised, which may be longer than the 2000 characters a client
        // may send; it still reads back.
        let long = format!("https://hooks.example.com/{}", "é/".repeat(985));
        assert_eq!(long.chars().count(), 1996);
        let kept = ann.post("/api/v1/webhooks", &json!({"url": long, "event_types": ["*"]})).await.expect(201);
        assert!(kept.body["url"].as_str().unwrap().len() > 2000, "{backend:?}: percent-encoded");
        assert_eq!(ann.get("/api/v1/webhooks").await.expect(200).body["items"][1]["url"], kept.body["url"]);
        ann.delete(&format!("/api/v1/webhooks/{}", id_of(&kept))).await.expect(204);

        // Versioned changes; a rotation shows the new secret.
        let etag = etag_of(&read);
        let path = format!("/api/v1/webhooks/{id}");
        let rotated =
            if_match(&ann, Method::PATCH, &path, Some(&json!({"rotate_secret": true})), &etag).await.expect(200);
        let new_secret = rotated.body["secret"].as_str().unwrap();
        assert!(new_secret.starts_with("whsec_") && new_secret != secret);
        let patched = ann.patch(&path, &json!({"active": false, "description": "CI"})).await.expect(200);
        assert!(patched.body.get("secret").is_none());
        assert_eq!((patched.body["active"].clone(), patched.body["version"].clone()), (json!(false), json!(3)));
        if_match(&ann, Method::PATCH, &path, Some(&json!({"active": true})), &etag)
            .await
            .expect_problem(412, "VERSION_MISMATCH");

        // A token needs `webhooks:manage`.
        let reader = with_token(&ann, &["boards:read"]).await;
        reader.get("/api/v1/webhooks").await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let manager = with_token(&ann, &["webhooks:manage"]).await;
        manager.get(&path).await.expect(200);

        ann.delete(&path).await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
        let audit = app.db.count("audit_events WHERE resource_type = 'webhook'").await;
        assert_eq!(audit, 6, "{backend:?}: created, rotated, changed, deleted, and the long one made and deleted");
        app.stop().await;
    }
}

#[tokio::test]
async fn private_targets_are_refused_by_default() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let ann = app.user("ann@x.io", false).await;
    for url in ["http://127.0.0.1:9/x", "http://localhost/x", "http://169.254.169.254/latest", "http://[fd00::1]/"] {
        let refused = ann
            .post("/api/v1/webhooks", &json!({"url": url, "event_types": ["*"]}))
            .await
            .expect_problem(422, "VALIDATION_FAILED");
        assert_eq!(refused.body["errors"][0]["field"], "url", "{url}");
    }
    app.stop().await;
}

#[tokio::test]
async fn board_changes_reach_the_members_webhooks_signed_and_failures_are_retried_and_can_be_resent() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = app_with_dispatcher(backend).await else { continue };
        let receiver = Receiver::start().await;
        let ann = app.user("ann@x.io", false).await;
        let alpha = board(&ann, "Alpha").await;
        let bob = member(&app, &ann, &alpha, "bob@x.io", "viewer").await;
        let carol = app.user("carol@x.io", false).await;
        let subscribe = |session: corkboard_tests::Session, hook: &'static str, types: Value| {
            let url = format!("{}/{hook}", receiver.url);
            async move {
                let made =
                    session.post("/api/v1/webhooks", &json!({"url": url, "event_types": types})).await.expect(201);
                (id_of(&made), made.body["secret"].as_str().unwrap().to_owned())
            }
        };
        let (bob_hook, bob_secret) = subscribe(bob.clone(), "bob", json!(["card.created"])).await;
        let (carol_hook, _) = subscribe(carol.clone(), "carol", json!(["*"])).await;

        let todo = column(&ann, &alpha, "To do", None).await;
        let made = card(&ann, &alpha, &todo, "Ship").await;
        let got = receiver.wait_for("bob", 1).await;
        let (headers, raw) = &got[0];
        assert!(verifies(&bob_secret, headers, raw), "{backend:?}: the signature verifies");
        let body: Value = serde_json::from_str(raw).unwrap();
        assert_eq!(body["type"], "card.created", "{backend:?}: only what Bob asked for");
        assert_eq!(body["data"]["resource_id"], made.as_str());
        assert_eq!(body["data"]["board_id"], alpha.as_str());
        assert_eq!(body["data"]["changes"]["title"]["after"], "Ship");
        let deliveries = bob.get(&format!("/api/v1/webhooks/{bob_hook}/deliveries")).await.expect(200).body;
        let delivery = &deliveries["items"][0];
        assert_eq!(delivery["id"], headers["webhook-id"].to_str().unwrap());
        assert_eq!((delivery["status"].clone(), delivery["attempts"].clone()), (json!("succeeded"), json!(1)));

        // Carol is not on the board: her webhook hears nothing of it (her own webhook's
        // creation is hers to hear).
        let carol_got = receiver.got("carol");
        let boards: Vec<Value> = carol_got
            .iter()
            .map(|(_, raw)| serde_json::from_str::<Value>(raw).unwrap()["data"]["board_id"].clone())
            .collect();
        assert!(boards.iter().all(Value::is_null), "{backend:?}: {boards:?}");

        // The receiver fails: the attempt is listed, and the delivery waits for its retry.
        receiver.answer(500);
        card(&ann, &alpha, &todo, "Fix").await;
        let failed = receiver.wait_for("bob", 2).await;
        let failed_id = failed[1].0["webhook-id"].to_str().unwrap().to_owned();
        let path = format!("/api/v1/webhooks/{bob_hook}/deliveries/{failed_id}");
        let mut listed = Value::Null;
        for _ in 0..100 {
            listed = bob.get(&format!("{path}/attempts")).await.expect(200).body;
            if listed["items"].as_array().is_some_and(|a| !a.is_empty()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(listed["items"][0]["status_code"], 500, "{backend:?}");
        let pending = bob.get(&format!("/api/v1/webhooks/{bob_hook}/deliveries")).await.expect(200).body;
        assert_eq!(pending["items"][0]["status"], "pending", "newest first");
        assert!(pending["items"][0]["next_attempt_at"].is_string());

        // Re-sent now, it arrives again under the same id.
        receiver.answer(200);
        let resent = bob.post(&format!("{path}/redeliver"), &json!({})).await.expect(202);
        assert_eq!(resent.body["status"], "pending");
        let again = receiver.wait_for("bob", 3).await;
        assert_eq!(again[2].0["webhook-id"].to_str().unwrap(), failed_id);
        carol.get(&format!("{path}/attempts")).await.expect_problem(404, "NOT_FOUND");
        carol
            .post(&format!("/api/v1/webhooks/{carol_hook}/deliveries/{failed_id}/redeliver"), &json!({}))
            .await
            .expect_problem(404, "NOT_FOUND");
        app.stop().await;
    }
}
