//! Reading the audit log: what each caller may see, and the filters.

use corkboard_tests::{Backend, TestApp};
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
        // Filters are bounded in characters, as documented: 100 four-byte ones pass, 101 do not.
        let wide = "%F0%9D%90%93".repeat(100);
        assert!(actions(&admin.get(&format!("/api/v1/audit?resource_type={wide}")).await.expect(200).body).is_empty());
        let over = admin.get(&format!("/api/v1/audit?action={wide}%F0%9D%90%93")).await;
        assert_eq!(over.expect_problem(422, "VALIDATION_FAILED").body["errors"][0]["field"], "action");
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

/// The lines of an NDJSON body, parsed.
fn ndjson(text: &str) -> Vec<Value> {
    text.lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect()
}

#[tokio::test]
async fn administrators_export_the_log_oldest_first_as_ndjson() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        for i in 0..3 {
            admin.post("/api/v1/boards", &json!({"name": format!("B{i}")})).await.expect(201);
        }
        let export = admin.get("/api/v1/audit/export").await.expect(200);
        assert_eq!(export.header("content-type"), Some("application/x-ndjson"));
        let events = ndjson(&export.text);
        let newest_first = admin.get("/api/v1/audit?limit=200").await.expect(200);
        let mut listed: Vec<Value> = newest_first.body["items"].as_array().expect("items").clone();
        listed.reverse();
        assert_eq!(events, listed, "the same events as the list, oldest first");
        let boards = ndjson(&admin.get("/api/v1/audit/export?action=board.created").await.expect(200).text);
        let names: Vec<&Value> = boards.iter().map(|e| &e["changes"]["name"]["after"]).collect();
        assert_eq!(names, [&json!("B0"), &json!("B1"), &json!("B2")], "{boards:#?}");

        let member = app.user("ann@x.io", false).await;
        member.get("/api/v1/audit/export").await.expect_problem(403, "FORBIDDEN");
        let from = "2026-01-02T00:00:00Z";
        admin
            .get(&format!("/api/v1/audit/export?from={from}&to={from}"))
            .await
            .expect_problem(422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn the_chain_check_reports_an_intact_log_and_names_an_edited_event() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        admin.post("/api/v1/boards", &json!({"name": "Kept"})).await.expect(201);
        let unsealed = admin.get("/api/v1/audit/verify").await.expect(200);
        assert_eq!(unsealed.body["intact"], true, "{:#}", unsealed.body);
        assert_eq!(unsealed.body["seals"], 0);
        assert!(unsealed.body["unsealed_events"].as_u64() >= Some(2), "{:#}", unsealed.body);

        while app.services.sealer.seal_pending().await.expect("sealed").seq.is_some() {}
        let sealed = admin.get("/api/v1/audit/verify").await.expect(200);
        assert_eq!(sealed.body["intact"], true, "{:#}", sealed.body);
        assert_eq!(sealed.body["unsealed_events"], 0);
        assert_eq!(sealed.body["sealed_events"], unsealed.body["unsealed_events"]);
        assert_eq!(sealed.body["head"]["hash"].as_str().map(str::len), Some(64), "{:#}", sealed.body);
        assert!(sealed.body["first_break"].is_null());

        let created = admin.get("/api/v1/audit?action=board.created").await.expect(200);
        let event_id = created.body["items"][0]["id"].as_str().expect("id").to_owned();
        let conn = app.services.db.conn();
        sea_orm::ConnectionTrait::execute_unprepared(
            conn,
            "UPDATE audit_events SET user_agent = 'forged' WHERE action = 'board.created'",
        )
        .await
        .expect("edited behind the application's back");
        let broken = admin.get("/api/v1/audit/verify").await.expect(200);
        assert_eq!(broken.body["intact"], false, "{:#}", broken.body);
        assert_eq!(broken.body["first_break"]["reason"], "event_altered");
        assert_eq!(broken.body["first_break"]["event_id"], event_id.as_str());

        app.user("ann@x.io", false).await.get("/api/v1/audit/verify").await.expect_problem(403, "FORBIDDEN");
        let token = admin.post("/api/v1/me/tokens", &json!({"name": "b", "scopes": ["boards:read"]})).await.expect(201);
        let bearer = admin.with_bearer(token.body["token"].as_str().expect("secret"));
        bearer.get("/api/v1/audit/verify").await.expect_problem(403, "INSUFFICIENT_SCOPE");
    }
}

#[tokio::test]
async fn the_sealing_worker_seals_what_is_written() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |c| {
            c.workers = true;
            c.audit.seal_interval_ms = 20;
        })
        .await
        else {
            continue;
        };
        let admin = app.user("admin@x.io", true).await;
        admin.post("/api/v1/boards", &json!({"name": "Sealed soon"})).await.expect(201);
        let mut report = Value::Null;
        for _ in 0..200 {
            report = admin.get("/api/v1/audit/verify").await.expect(200).body;
            if report["unsealed_events"] == 0 && report["sealed_events"].as_u64() >= Some(2) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(report["unsealed_events"], 0, "{backend:?}: {report:#}");
        assert_eq!(report["intact"], true, "{backend:?}: {report:#}");
    }
}
