//! Reading the audit log: what each caller may see, and the filters.

use corkboard_tests::TestApp;
use serde_json::{Value, json};

fn actions(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map_or_else(Vec::new, |items| items.iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect())
}

#[tokio::test]
async fn administrators_see_every_event_newest_first() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        let ann = app.user("ann@x.io", false).await;
        ann.post("/api/v1/boards", &json!({"name": "Ann's"})).await.expect(201);
        // An id the edge refuses is replaced by one of its own, which the audit log records.
        let refused = app
            .anonymous()
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                Some(&json!({"email": "ann@x.io", "password": "nope nope"})),
                &[("x-request-id", "not valid")],
            )
            .await;
        let edge_id = refused.header("x-request-id").expect("a request id").to_owned();
        let log = admin.get("/api/v1/audit").await.expect(200);
        let seen = actions(&log.body);
        assert_eq!(seen.first().map(String::as_str), Some("auth.login_failed"), "newest first: {seen:?}");
        assert!(seen.iter().any(|a| a == "board.created"), "{seen:?}");
        assert!(seen.iter().any(|a| a == "user.created"), "{seen:?}");
        let failed = &log.body["items"][0];
        assert_eq!(failed["actor"]["type"], "anonymous");
        assert_eq!(failed["request_id"], edge_id.as_str(), "{failed:#}");
        assert_eq!(failed["client_ip"], "127.0.0.1", "the connection's address: {failed:#}");
    }
}

#[tokio::test]
async fn members_see_their_boards_and_their_own_actions_only() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let board = ann.post("/api/v1/boards", &json!({"name": "Shared"})).await.expect(201);
        let board_id = board.body["id"].as_str().expect("id").to_owned();
        bob.post("/api/v1/boards", &json!({"name": "Bob's secret"})).await.expect(201);
        let before = actions(&ann.get(&format!("/api/v1/audit?board_id={board_id}")).await.expect(200).body);
        assert_eq!(before, ["board.created"]);
        let anns_view = ann.get("/api/v1/audit").await.expect(200);
        let boards: Vec<&str> = anns_view.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["action"] == "board.created")
            .filter_map(|e| e["board_id"].as_str())
            .collect();
        assert_eq!(boards, [board_id.as_str()], "Bob's board stays invisible to Ann");
        // Once Bob joins Ann's board he sees its history, without Ann's connection details.
        let bob_id = bob.user_id.clone().expect("id");
        ann.post(&format!("/api/v1/boards/{board_id}/members"), &json!({"user_id": bob_id, "role": "viewer"}))
            .await
            .expect(201);
        let bobs_view = bob.get(&format!("/api/v1/audit?board_id={board_id}")).await.expect(200);
        assert_eq!(actions(&bobs_view.body), ["member.added", "board.created"]);
        assert!(bobs_view.body["items"][1]["client_ip"].is_null(), "{:#}", bobs_view.body);
        assert!(ann.get(&format!("/api/v1/audit?board_id={board_id}")).await.body["items"][1]["client_ip"].is_string());
    }
}

#[tokio::test]
async fn filters_combine_and_pages_follow_the_cursor() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        for i in 0..3 {
            admin.post("/api/v1/boards", &json!({"name": format!("B{i}")})).await.expect(201);
        }
        let admin_id = admin.user_id.clone().expect("id");
        let first =
            admin.get(&format!("/api/v1/audit?action=board.created&actor={admin_id}&limit=2")).await.expect(200);
        assert_eq!(actions(&first.body), ["board.created", "board.created"]);
        let cursor = first.body["next_cursor"].as_str().expect("cursor").to_owned();
        let rest =
            admin.get(&format!("/api/v1/audit?action=board.created&actor={admin_id}&limit=2&cursor={cursor}")).await;
        assert_eq!(actions(&rest.expect(200).body), ["board.created"]);
        let none = admin.get("/api/v1/audit?resource_type=board&from=2100-01-01T00:00:00Z").await.expect(200);
        assert!(actions(&none.body).is_empty());
    }
}

#[tokio::test]
async fn bad_filters_and_missing_rights_are_refused() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        ann.get("/api/v1/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
            .await
            .expect_problem(422, "VALIDATION_FAILED");
        ann.get("/api/v1/audit?actor=not-a-uuid").await.expect_problem(422, "VALIDATION_FAILED");
        ann.get(&format!("/api/v1/audit?action={}", "x".repeat(101))).await.expect_problem(422, "VALIDATION_FAILED");
        ann.get("/api/v1/audit?from=yesterday").await.expect_problem(422, "VALIDATION_FAILED");
        app.anonymous().get("/api/v1/audit").await.expect_problem(401, "UNAUTHENTICATED");
        let token = ann.post("/api/v1/me/tokens", &json!({"name": "b", "scopes": ["boards:read"]})).await.expect(201);
        ann.with_bearer(token.body["token"].as_str().expect("secret"))
            .get("/api/v1/audit")
            .await
            .expect_problem(403, "INSUFFICIENT_SCOPE");
        let token = ann.post("/api/v1/me/tokens", &json!({"name": "a", "scopes": ["audit:read"]})).await.expect(201);
        ann.with_bearer(token.body["token"].as_str().expect("secret")).get("/api/v1/audit").await.expect(200);
    }
}
