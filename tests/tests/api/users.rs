//! User administration.

use corkboard_tests::TestApp;
use serde_json::json;

#[tokio::test]
async fn admins_create_users_who_can_then_sign_in() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        let body = json!({"email": "New@X.io", "display_name": "New", "password": "long enough pw", "role": "member"});
        let created = admin.post("/api/v1/users", &body).await.expect(201);
        assert_eq!(created.body["email"], "new@x.io");
        assert_eq!(created.header("etag"), Some("\"1\""));
        let location = created.header("location").expect("location").to_owned();
        admin.get(&location).await.expect(200);
        app.anonymous().login("new@x.io", "long enough pw").await.get("/api/v1/me").await.expect(200);
        admin.post("/api/v1/users", &body).await.expect_problem(409, "EMAIL_TAKEN");
    }
}

#[tokio::test]
async fn members_cannot_administer_users_but_can_read_themselves() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        let ann = app.user("ann@x.io", false).await;
        let body = json!({"email": "x@x.io", "display_name": "X", "role": "member"});
        ann.post("/api/v1/users", &body).await.expect_problem(403, "FORBIDDEN");
        ann.get("/api/v1/users").await.expect_problem(403, "FORBIDDEN");
        let admin_id = admin.user_id.clone().expect("id");
        ann.get(&format!("/api/v1/users/{admin_id}")).await.expect_problem(403, "FORBIDDEN");
        ann.get(&format!("/api/v1/users/{}", ann.user_id.clone().expect("id"))).await.expect(200);
        app.anonymous().get("/api/v1/users").await.expect_problem(401, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn invalid_user_fields_are_named() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        let bad = admin.post("/api/v1/users", &json!({"email": "nope", "display_name": "X", "role": "member"})).await;
        assert_eq!(bad.expect_problem(422, "VALIDATION_FAILED").body["errors"][0]["field"], "email");
        let bad = admin.post("/api/v1/users", &json!({"email": "a@x.io", "display_name": "X", "role": "god"})).await;
        assert_eq!(bad.expect_problem(422, "VALIDATION_FAILED").body["errors"][0]["field"], "role");
        let bad = admin
            .post(
                "/api/v1/users",
                &json!({"email": "a@x.io", "display_name": "", "role": "member", "password": "short"}),
            )
            .await;
        assert_eq!(bad.expect_problem(422, "VALIDATION_FAILED").body["errors"].as_array().map(Vec::len), Some(2));
        admin.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7())).await.expect_problem(404, "NOT_FOUND");
        admin.get("/api/v1/users/not-a-uuid").await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn user_updates_honour_if_match_and_disabling_ends_sessions() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        let ann = app.user("ann@x.io", false).await;
        let path = format!("/api/v1/users/{}", ann.user_id.clone().expect("id"));
        let stale = admin
            .send(reqwest::Method::PATCH, &path, Some(&json!({"display_name": "A"})), &[("if-match", "\"9\"")])
            .await;
        stale.expect_problem(412, "VERSION_MISMATCH");
        admin
            .send(reqwest::Method::PATCH, &path, Some(&json!({"display_name": "A"})), &[("if-match", "nonsense")])
            .await
            .expect_problem(400, "INVALID_IF_MATCH");
        let ok = admin
            .send(reqwest::Method::PATCH, &path, Some(&json!({"display_name": "Ann B"})), &[("if-match", "\"1\"")])
            .await;
        let ok = ok.expect(200);
        assert_eq!((ok.body["display_name"].as_str(), ok.header("etag")), (Some("Ann B"), Some("\"2\"")));
        admin.patch(&path, &json!({"status": "disabled"})).await.expect(200);
        ann.get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
        app.anonymous()
            .post("/api/v1/auth/login", &json!({"email": "ann@x.io", "password": "correct horse battery"}))
            .await
            .expect_problem(401, "INVALID_CREDENTIALS");
    }
}

#[tokio::test]
async fn the_last_admin_cannot_demote_themselves() {
    for app in TestApp::each_backend().await {
        // The harness's root admin is disabled first so `admin` is the only active one.
        let admin = app.user("admin@x.io", true).await;
        let root = app.root.user_id;
        admin.patch(&format!("/api/v1/users/{root}"), &json!({"status": "disabled"})).await.expect(200);
        let me = format!("/api/v1/users/{}", admin.user_id.clone().expect("id"));
        admin.patch(&me, &json!({"role": "member"})).await.expect_problem(409, "LAST_ADMIN");
    }
}

#[tokio::test]
async fn users_are_paginated_with_opaque_cursors() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        for i in 0..3 {
            admin
                .post("/api/v1/users", &json!({"email": format!("u{i}@x.io"), "display_name": "U", "role": "member"}))
                .await
                .expect(201);
        }
        let first = admin.get("/api/v1/users?limit=2").await.expect(200);
        let cursor = first.body["next_cursor"].as_str().expect("cursor").to_owned();
        let rest = admin.get(&format!("/api/v1/users?limit=200&cursor={cursor}")).await.expect(200);
        assert_eq!(rest.body["items"].as_array().map(Vec::len), Some(3), "5 users in all: root, admin, 3 created");
        assert!(rest.body["next_cursor"].is_null());
        admin.get("/api/v1/users?limit=201").await.expect_problem(422, "VALIDATION_FAILED");
        admin.get("/api/v1/users?limit=abc").await.expect_problem(422, "VALIDATION_FAILED");
    }
}
