//! The dashboard through the API on every backend: what it shows of each domain, `ETag` and
//! `If-None-Match`, never stale after a change that concerns the caller (their own or a
//! teammate's on a shared board), served from the cache while nothing that concerns the caller
//! changed, the scopes a token needs, and (PostgreSQL + Redis) one cache for every instance.

use chrono::{Duration, Utc};
use corkboard_tests::{Session, TestApp, TestResponse};
use reqwest::Method;
use serde_json::{Value, json};

use crate::board_support::{board, column, id_of, member, with_token};

async fn dashboard(session: &Session, if_none_match: Option<&str>) -> TestResponse {
    let headers: Vec<(&str, &str)> = if_none_match.map(|tag| vec![("if-none-match", tag)]).unwrap_or_default();
    session.send(Method::GET, "/api/v1/dashboard", None, &headers).await
}

fn titles(cards: &Value) -> Vec<&str> {
    cards.as_array().expect("a list").iter().map(|c| c["title"].as_str().expect("a title")).collect()
}

#[tokio::test]
async fn the_dashboard_shows_what_concerns_the_caller_and_is_never_stale_after_their_changes() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let ann_id = ann.user_id.clone().unwrap();
        let alpha = board(&ann, "Alpha").await;
        let todo = column(&ann, &alpha, "To do", None).await;
        let doing = column(&ann, &alpha, "Doing", None).await;
        let bob = member(&app, &ann, &alpha, "bob@x.io", "editor").await;
        let at = |days: i64| (Utc::now() + Duration::days(days)).to_rfc3339();
        let card = |title: &str, column: &str, due: i64, mine: bool| {
            let assignees = if mine { json!([ann_id]) } else { json!([]) };
            json!({"title": title, "column_id": column, "due_at": at(due), "assignees": assignees})
        };
        let late = ann.post(&format!("/api/v1/boards/{alpha}/cards"), &card("Late", &todo, -2, true)).await.expect(201);
        ann.post(&format!("/api/v1/boards/{alpha}/cards"), &card("Soon", &doing, 2, true)).await.expect(201);
        ann.post(&format!("/api/v1/boards/{alpha}/cards"), &card("Later", &todo, 10, false)).await.expect(201);
        ann.post("/api/v1/notes", &json!({"title": "Plan", "body": "…", "pinned": true})).await.expect(201);
        bob.post("/api/v1/notes", &json!({"title": "Bob's own", "body": "…"})).await.expect(201);
        let reminder = json!({"title": "Call", "remind_at": at(3), "timezone": "Europe/Berlin"});
        ann.post("/api/v1/reminders", &reminder).await.expect(201);

        let first = dashboard(&ann, None).await.expect(200);
        let d = &first.body;
        assert_eq!(d["boards"]["count"], 1, "{:?}", app.db.backend);
        assert_eq!(d["boards"]["recent"][0]["name"], "Alpha");
        let columns: Vec<_> =
            d["my_cards"].as_array().unwrap().iter().map(|c| (c["column_name"].clone(), c["count"].clone())).collect();
        assert_eq!(
            columns,
            [(json!("To do"), json!(1)), (json!("Doing"), json!(1))],
            "board order, the caller's cards only"
        );
        assert_eq!(titles(&d["my_cards"][0]["cards"]), ["Late"]);
        assert_eq!(titles(&d["due"]["overdue"]), ["Late"]);
        assert_eq!(titles(&d["due"]["next_7_days"]), ["Soon"], "ten days out is not due soon");
        assert_eq!(d["due"]["overdue"][0]["board_name"], "Alpha");
        assert_eq!(d["reminders"][0]["title"], "Call");
        assert_eq!(titles(&d["notes"]["pinned"]), ["Plan"]);
        assert_eq!(titles(&d["notes"]["recent"]), ["Plan"], "another's personal note is not shown");
        assert_eq!(d["notifications"]["unread_count"], 0);
        let actions: Vec<_> = d["activity"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"card.created") && actions.contains(&"note.created"), "{actions:?}");
        assert_eq!(first.header("cache-control"), Some("private, no-cache"));
        let tag = first.header("etag").expect("an ETag").to_owned();

        // Unchanged: 304, also for a change that does not concern the caller.
        bob.post("/api/v1/notes", &json!({"title": "Bob's second", "body": "…"})).await.expect(201);
        let same = dashboard(&ann, Some(&tag)).await.expect(304);
        assert_eq!(same.header("etag"), Some(tag.as_str()));
        assert!(same.text.is_empty());

        // The caller's own change shows at once.
        ann.post("/api/v1/notes", &json!({"title": "Second", "body": "…"})).await.expect(201);
        let after_own = dashboard(&ann, Some(&tag)).await.expect(200);
        assert_eq!(titles(&after_own.body["notes"]["recent"]), ["Second", "Plan"]);
        let tag = after_own.header("etag").unwrap().to_owned();

        // So does a teammate's on a shared board.
        let late_id = id_of(&late);
        bob.post(&format!("/api/v1/cards/{late_id}/move"), &json!({"column_id": doing})).await.expect(200);
        let after_theirs = dashboard(&ann, Some(&tag)).await.expect(200);
        assert_eq!(after_theirs.body["my_cards"][0]["column_name"], "Doing");
        assert_eq!(after_theirs.body["my_cards"][0]["count"], 2);
        assert_eq!(after_theirs.body["activity"][0]["action"], "card.moved");
        let tag = after_theirs.header("etag").unwrap().to_owned();

        // Bob's dashboard is his own.
        let bobs = dashboard(&bob, None).await.expect(200).body;
        assert!(bobs["my_cards"].as_array().unwrap().is_empty());
        assert_eq!(titles(&bobs["notes"]["recent"]), ["Bob's second", "Bob's own"]);

        if app.services.redis.is_some() {
            // Another instance serves the same kept dashboard from Redis.
            let peer = app.peer().await;
            dashboard(&ann.at(&peer.address), Some(&tag)).await.expect(304);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_token_needs_the_read_scopes_of_every_part() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let partial = with_token(&ann, &["boards:read", "notes:read"]).await;
        dashboard(&partial, None).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let full = with_token(&ann, &["boards:read", "notes:read", "reminders:read"]).await;
        let d = dashboard(&full, None).await.expect(200).body;
        assert_eq!(d["boards"]["count"], 0);
        assert!(d["my_cards"].as_array().unwrap().is_empty());
        app.stop().await;
    }
}
