//! Notifications through the API on every backend, with the real scheduler worker running: a
//! reminder set in the past fires at once (late) into its owner's feed; the feed pages with an
//! unread count and an `unread` filter; mark read and mark all read; nobody else sees or
//! touches another user's notifications.

use std::time::Duration;

use corkboard_tests::{Backend, Session, TestApp};
use serde_json::{Value, json};

async fn app_with_worker(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| {
        c.workers = true;
        c.reminders.poll_interval_ms = 20;
    })
    .await
}

/// The caller's feed once it holds `n` notifications (the worker fires within a few ticks).
async fn feed_with(session: &Session, n: usize) -> Value {
    for _ in 0..250 {
        let body = session.get("/api/v1/notifications").await.expect(200).body;
        if body["items"].as_array().expect("items").len() >= n {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the worker did not fire {n} notification(s) in time");
}

#[tokio::test]
async fn a_fired_reminder_lands_in_its_owners_feed_and_is_marked_read() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = app_with_worker(backend).await else { continue };
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let reminder = json!({"title": "Pay rent", "body": "Before noon", "remind_at": "2025-01-01T09:00:00Z",
            "timezone": "Europe/Berlin"});
        let created = ann.post("/api/v1/reminders", &reminder).await.expect(201).body;
        ann.post("/api/v1/reminders", &reminder).await.expect(201);

        let feed = feed_with(&ann, 2).await;
        assert_eq!(feed["unread_count"], 2);
        assert!(feed["next_cursor"].is_null());
        let first = &feed["items"][0];
        assert_eq!((first["title"].as_str(), first["body"].as_str()), (Some("Pay rent"), Some("Before noon")));
        assert_eq!(first["late"], true);
        assert!(first["read_at"].is_null());
        assert_eq!(first["due_at"].as_str().map(|d| d.starts_with("2025-01-01T09:00:00")), Some(true));
        let ids: Vec<_> = feed["items"].as_array().unwrap().iter().map(|n| n["reminder_id"].clone()).collect();
        assert!(ids.contains(&created["id"]));
        let id = first["id"].as_str().unwrap().to_owned();

        // Bob sees nothing of Ann's and cannot touch it.
        let theirs = bob.get("/api/v1/notifications").await.expect(200).body;
        assert_eq!((theirs["items"].as_array().unwrap().len(), theirs["unread_count"].as_u64()), (0, Some(0)));
        bob.post(&format!("/api/v1/notifications/{id}/read"), &json!({})).await.expect_problem(404, "NOT_FOUND");
        app.anonymous().get("/api/v1/notifications").await.expect(401);

        let read = ann.post(&format!("/api/v1/notifications/{id}/read"), &json!({})).await.expect(200).body;
        assert!(read["read_at"].is_string());
        let again = ann.post(&format!("/api/v1/notifications/{id}/read"), &json!({})).await.expect(200).body;
        assert_eq!(again["read_at"], read["read_at"], "reading twice keeps the first read_at");

        let unread = ann.get("/api/v1/notifications?unread=true").await.expect(200).body;
        assert_eq!((unread["items"].as_array().unwrap().len(), unread["unread_count"].as_u64()), (1, Some(1)));
        let paged = ann.get("/api/v1/notifications?limit=1").await.expect(200).body;
        assert!(paged["next_cursor"].is_string());
        let cursor = paged["next_cursor"].as_str().unwrap();
        let next = ann.get(&format!("/api/v1/notifications?limit=1&cursor={cursor}")).await.expect(200).body;
        assert_ne!(next["items"][0]["id"], paged["items"][0]["id"]);

        ann.post("/api/v1/notifications/read-all", &json!({})).await.expect(204);
        let after = ann.get("/api/v1/notifications?unread=false").await.expect(200).body;
        assert_eq!((after["items"].as_array().unwrap().len(), after["unread_count"].as_u64()), (2, Some(0)));
        // Fired once: the worker keeps ticking, but the feed does not grow.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(ann.get("/api/v1/notifications").await.expect(200).body["items"].as_array().unwrap().len(), 2);
        app.stop().await;
    }
}
