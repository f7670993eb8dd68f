//! The event feed through the API on every backend, with the audit sealer running: events in
//! commit order once sealed, resumable with `next_cursor` (later reads return only later
//! events), members see their boards' and their own events, administrators all, tampered
//! cursors are refused, a cursor into seals removed by retention has expired (410) while one
//! that kept being read moved on with the seals, and a token needs every domain's read scope.

use std::time::Duration;

use corkboard_tests::{Backend, Session, TestApp};
use serde_json::{Value, json};

use crate::board_support::{board, column, id_of, with_token};

async fn app_with_sealer(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| {
        c.workers = true;
        c.audit.seal_interval_ms = 20;
    })
    .await
}

fn types(feed: &Value) -> Vec<String> {
    feed["items"].as_array().expect("items").iter().map(|e| e["type"].as_str().expect("a type").to_owned()).collect()
}

/// The feed after `after` once it holds an event of type `wanted` (the sealer runs every 20 ms).
async fn feed_with(session: &Session, after: Option<&str>, wanted: &str) -> Value {
    let path =
        after.map_or_else(|| "/api/v1/events?limit=200".to_owned(), |a| format!("/api/v1/events?limit=200&after={a}"));
    for _ in 0..250 {
        let body = session.get(&path).await.expect(200).body;
        if types(&body).iter().any(|t| t == wanted) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no {wanted} event in the feed in time");
}

#[tokio::test]
async fn the_feed_serves_visible_events_in_commit_order_and_resumes_after_its_cursor() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = app_with_sealer(backend).await else { continue };
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let admin = app.user("boss@x.io", true).await;
        let alpha = board(&ann, "Alpha").await;
        let todo = column(&ann, &alpha, "To do", None).await;
        bob.post("/api/v1/notes", &json!({"title": "Bob's", "body": "…"})).await.expect(201);
        let card = ann.post(&format!("/api/v1/boards/{alpha}/cards"), &json!({"title": "C", "column_id": todo})).await;
        let card = id_of(&card.expect(201));

        let first = feed_with(&ann, None, "card.created").await;
        let seen = types(&first);
        let at = |t: &str| seen.iter().position(|s| s == t).unwrap_or_else(|| panic!("{t} in {seen:?}"));
        assert!(at("board.created") < at("column.created") && at("column.created") < at("card.created"), "{seen:?}");
        assert!(!seen.iter().any(|t| t == "note.created"), "{backend:?}: Bob's note is not Ann's to see: {seen:?}");
        let created = &first["items"][at("card.created")];
        assert_eq!(created["resource_id"], card.as_str());
        assert_eq!(created["board_id"], alpha.as_str());
        assert_eq!(created["changes"]["title"]["after"], "C");
        assert!(created.get("client_ip").is_none(), "where requests come from is not in the feed");
        let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();

        // Nothing new: no events, and a cursor to read on from (the same, or the end of a seal
        // made since the first read began).
        let empty = ann.get(&format!("/api/v1/events?after={cursor}")).await.expect(200).body;
        assert_eq!(empty["items"], json!([]));
        let cursor = empty["next_cursor"].as_str().expect("a cursor").to_owned();

        // A later change, and only it, after the cursor.
        ann.post(&format!("/api/v1/cards/{card}/move"), &json!({"column_id": todo})).await.expect(200);
        let later = feed_with(&ann, Some(&cursor), "card.moved").await;
        assert_eq!(types(&later), ["card.moved"], "{backend:?}");
        let ids = |feed: &Value| feed["items"].as_array().unwrap().iter().map(|e| e["id"].clone()).collect::<Vec<_>>();
        assert!(ids(&later).iter().all(|id| !ids(&first).contains(id)), "nothing is read twice");

        // Administrators read everyone's events; small pages chain without gaps.
        let all = feed_with(&admin, None, "card.moved").await;
        assert!(types(&all).iter().any(|t| t == "note.created"));
        let (mut paged, mut after) = (Vec::new(), String::new());
        loop {
            let path = if after.is_empty() {
                "/api/v1/events?limit=3".into()
            } else {
                format!("/api/v1/events?limit=3&after={after}")
            };
            let page = admin.get(&path).await.expect(200).body;
            let items = page["items"].as_array().unwrap().clone();
            if items.is_empty() {
                break;
            }
            paged.extend(items.iter().map(|e| e["id"].clone()));
            after = page["next_cursor"].as_str().unwrap().to_owned();
        }
        assert_eq!(paged[..ids(&all).len()], ids(&all)[..], "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_cursor_into_seals_removed_by_retention_has_expired() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = app_with_sealer(backend).await else { continue };
        let ann = app.user("ann@x.io", false).await;
        let alpha = board(&ann, "Alpha").await;
        let old = feed_with(&ann, None, "board.created").await;
        let old_cursor = old["next_cursor"].as_str().expect("a cursor").to_owned();
        // Bob reads on while nothing he may see happens.
        let bob = app.user("bob@x.io", false).await;
        let cursor = |feed: &Value| feed["next_cursor"].as_str().expect("a cursor").to_owned();
        let bob_cursor = cursor(&feed_with(&bob, None, "auth.login_succeeded").await);
        column(&ann, &alpha, "To do", None).await;
        let newer = feed_with(&ann, Some(&old_cursor), "column.created").await;
        let newer_cursor = cursor(&newer);
        let bob_read = bob.get(&format!("/api/v1/events?after={bob_cursor}")).await.expect(200).body;
        assert_eq!(bob_read["items"], json!([]), "{backend:?}: Ann's board is not Bob's");
        let bob_cursor = cursor(&bob_read);

        // Retention removes every seal but the newest: the board's creation is gone.
        let removed = app.services.sealer.prune(chrono::Duration::seconds(-1)).await.unwrap();
        assert!(removed > 0, "{backend:?}: something was removed");
        let gone = ann.get(&format!("/api/v1/events?after={old_cursor}")).await;
        let gone = gone.expect_problem(410, "CURSOR_EXPIRED");
        assert!(gone.body["detail"].as_str().unwrap().contains("from the start"), "{}", gone.body);
        // The newest seal is kept: a cursor into it reads on; so does a read from the start.
        ann.get(&format!("/api/v1/events?after={newer_cursor}")).await.expect(200);
        ann.get("/api/v1/events").await.expect(200);
        // Bob's cursor moved on with the seals, though he saw nothing: it has not expired.
        bob.get(&format!("/api/v1/events?after={bob_cursor}")).await.expect(200);
        app.stop().await;
    }
}

#[tokio::test]
async fn bad_cursors_limits_and_scopes_are_refused() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        ann.get("/api/v1/events?after=garbage").await.expect_problem(400, "INVALID_CURSOR");
        // A list cursor is not a feed cursor.
        let list_cursor = "YzE6MDE5MDAwMDAwMDAwNzAwMDgwMDAwMDAwMDAwMDAwMDA";
        ann.get(&format!("/api/v1/events?after={list_cursor}")).await.expect_problem(400, "INVALID_CURSOR");
        ann.get("/api/v1/events?limit=0").await.expect(422);
        let partial = with_token(&ann, &["boards:read", "notes:read"]).await;
        partial.get("/api/v1/events").await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let full = with_token(&ann, &["boards:read", "notes:read", "reminders:read"]).await;
        let feed = full.get("/api/v1/events").await.expect(200).body;
        assert!(feed["items"].is_array());
        app.stop().await;
    }
}
