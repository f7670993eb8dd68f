//! Columns: create, rename, WIP limits (set, clear), moves, deletion, and their failures.

use corkboard_tests::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::board_support::{NOBODY, board, card, column, etag_of, fields, id_of, if_match, layout, member, titles};

#[tokio::test]
async fn columns_are_appended_renamed_limited_and_deleted_when_empty() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Flow").await;
        let created = ann.post(&format!("/api/v1/boards/{id}/columns"), &json!({"name": "Todo", "wip_limit": 3})).await;
        let created = created.expect(201);
        let todo = id_of(&created);
        assert_eq!(created.header("location"), Some(format!("/api/v1/columns/{todo}").as_str()));
        assert_eq!(created.header("etag"), Some("\"1\""));
        assert_eq!(
            (created.body["wip_limit"].as_u64(), created.body["board_id"].as_str()),
            (Some(3), Some(id.as_str()))
        );
        let doing = column(&ann, &id, "Doing", None).await;
        assert_eq!(ann.get(&format!("/api/v1/columns/{doing}")).await.expect(200).body["wip_limit"], json!(null));

        let path = format!("/api/v1/columns/{todo}");
        let renamed = ann.patch(&path, &json!({"name": "Backlog"})).await.expect(200);
        assert_eq!((renamed.body["name"].as_str(), renamed.body["wip_limit"].as_u64()), (Some("Backlog"), Some(3)));
        assert_eq!(renamed.header("etag"), Some("\"2\""));
        let limited = ann.patch(&path, &json!({"wip_limit": 5})).await.expect(200);
        assert_eq!(limited.body["wip_limit"], 5);
        let cleared = ann.patch(&path, &json!({"wip_limit": null})).await.expect(200);
        assert_eq!(cleared.body["wip_limit"], json!(null), "null clears the limit");
        assert_eq!(cleared.body["name"], "Backlog");
        let unchanged = ann.patch(&path, &json!({})).await.expect(200);
        assert_eq!(unchanged.body["version"], cleared.body["version"], "an empty change writes nothing");

        card(&ann, &id, &doing, "Busy").await;
        ann.delete(&format!("/api/v1/columns/{doing}")).await.expect_problem(409, "CONFLICT");
        ann.delete(&path).await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
        assert_eq!(layout(&ann, &id).await, [("Doing".to_owned(), titles(&["Busy"]))]);
    }
}

#[tokio::test]
async fn columns_move_in_front_of_or_behind_their_siblings() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Order").await;
        let a = column(&ann, &id, "A", None).await;
        let b = column(&ann, &id, "B", None).await;
        let c = column(&ann, &id, "C", None).await;
        let names = |layout: Vec<(String, Vec<String>)>| layout.into_iter().map(|(name, _)| name).collect::<Vec<_>>();

        ann.patch(&format!("/api/v1/columns/{c}"), &json!({"before_id": a})).await.expect(200);
        assert_eq!(names(layout(&ann, &id).await), ["C", "A", "B"]);
        ann.patch(&format!("/api/v1/columns/{c}"), &json!({"after_id": a})).await.expect(200);
        assert_eq!(names(layout(&ann, &id).await), ["A", "C", "B"]);
        ann.patch(&format!("/api/v1/columns/{a}"), &json!({"after_id": null, "before_id": null})).await.expect(200);
        assert_eq!(names(layout(&ann, &id).await), ["C", "B", "A"], "both null: last");
        let moved =
            ann.patch(&format!("/api/v1/columns/{b}"), &json!({"after_id": c, "before_id": a, "name": "B2"})).await;
        assert_eq!(moved.expect(200).body["name"], "B2");
        assert_eq!(names(layout(&ann, &id).await), ["C", "B2", "A"]);
    }
}

#[tokio::test]
async fn invalid_column_changes_are_422_and_named() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Checks").await;
        let other_board = board(&ann, "Other").await;
        let a = column(&ann, &id, "A", None).await;
        let b = column(&ann, &id, "B", None).await;
        let c = column(&ann, &id, "C", None).await;
        let elsewhere = column(&ann, &other_board, "Elsewhere", None).await;
        let create = format!("/api/v1/boards/{id}/columns");
        for (body, field) in [
            (json!({"name": ""}), "name"),
            (json!({"name": " \t "}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": "ok", "wip_limit": 0}), "wip_limit"),
            (json!({"name": "ok", "wip_limit": 1001}), "wip_limit"),
            (json!({"name": "ok", "wip_limit": -1}), "wip_limit"),
            (json!({"name": "ok", "position": 1}), "position"),
        ] {
            let refused = ann.post(&create, &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
        let path = format!("/api/v1/columns/{a}");
        for (body, field) in [
            (json!({"wip_limit": 0}), "wip_limit"),
            (json!({"wip_limit": "many"}), "wip_limit"),
            (json!({"before_id": a}), "before_id"),
            (json!({"after_id": elsewhere}), "after_id"),
            (json!({"before_id": NOBODY}), "before_id"),
            (json!({"before_id": b, "after_id": c}), "after_id"),
        ] {
            let refused = ann.patch(&path, &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
        ann.post(&format!("/api/v1/boards/{id}/columns"), &json!({"name": "ok", "wip_limit": 1000})).await.expect(201);
    }
}

#[tokio::test]
async fn column_routes_refuse_strangers_viewers_and_stale_versions() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Guarded").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let path = format!("/api/v1/columns/{todo}");
        let bob = app.user("bob@x.io", false).await;
        bob.get(&path).await.expect_problem(404, "NOT_FOUND");
        bob.patch(&path, &json!({"name": "Mine"})).await.expect_problem(404, "NOT_FOUND");
        bob.delete(&path).await.expect_problem(404, "NOT_FOUND");
        bob.post(&format!("/api/v1/boards/{id}/columns"), &json!({"name": "x"})).await.expect_problem(404, "NOT_FOUND");
        app.anonymous().patch(&path, &json!({"name": "x"})).await.expect_problem(401, "UNAUTHENTICATED");
        ann.without_csrf().delete(&path).await.expect_problem(403, "CSRF_TOKEN_INVALID");

        let vic = member(&app, &ann, &id, "vic@x.io", "viewer").await;
        vic.get(&path).await.expect(200);
        vic.patch(&path, &json!({"name": "x"})).await.expect_problem(403, "FORBIDDEN");
        vic.delete(&path).await.expect_problem(403, "FORBIDDEN");

        let etag = etag_of(&ann.get(&path).await.expect(200));
        ann.patch(&path, &json!({"wip_limit": 2})).await.expect(200);
        let stale = if_match(&ann, Method::PATCH, &path, Some(&json!({"name": "Late"})), &etag).await;
        stale.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, &etag).await.expect_problem(412, "VERSION_MISMATCH");
        let fresh = etag_of(&ann.get(&path).await.expect(200));
        if_match(&ann, Method::PATCH, &path, Some(&json!({"name": "Now"})), &fresh).await.expect(200);
    }
}
