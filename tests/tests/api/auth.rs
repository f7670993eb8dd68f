//! Sign-in, sessions, CSRF and sign-out.

use corkboard_tests::TestApp;
use serde_json::json;

#[tokio::test]
async fn login_sets_an_http_only_session_cookie_and_returns_the_csrf_token() {
    for app in TestApp::each_backend().await {
        app.user("ann@x.io", false).await;
        let client = app.anonymous();
        let response =
            client.post("/api/v1/auth/login", &json!({"email": "ANN@x.io", "password": "correct horse battery"})).await;
        let response = response.expect(200);
        let cookie = response.header("set-cookie").expect("cookie set").to_owned();
        assert!(cookie.starts_with("corkboard_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "plain-http localhost does not mark the cookie Secure: {cookie}");
        assert_eq!(response.body["user"]["email"], "ann@x.io");
        assert_eq!(response.body["csrf_token"].as_str().map(str::len), Some(43));
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_401() {
    for app in TestApp::each_backend().await {
        app.user("ann@x.io", false).await;
        let client = app.anonymous();
        let wrong =
            client.post("/api/v1/auth/login", &json!({"email": "ann@x.io", "password": "wrong password"})).await;
        let unknown =
            client.post("/api/v1/auth/login", &json!({"email": "zed@x.io", "password": "wrong password"})).await;
        let wrong = wrong.expect_problem(401, "INVALID_CREDENTIALS");
        let unknown = unknown.expect_problem(401, "INVALID_CREDENTIALS");
        assert_eq!(wrong.body["detail"], unknown.body["detail"]);
        assert!(wrong.header("set-cookie").is_none());
    }
}

#[tokio::test]
async fn login_with_malformed_bodies_is_a_clear_4xx() {
    for app in TestApp::each_backend().await {
        let client = app.anonymous();
        client.post("/api/v1/auth/login", &json!({"email": "a@x.io"})).await.expect_problem(422, "VALIDATION_FAILED");
        let extra =
            client.post("/api/v1/auth/login", &json!({"email": "a@x.io", "password": "x", "admin": true})).await;
        extra.expect_problem(422, "VALIDATION_FAILED");
        let not_json = client
            .send(reqwest::Method::POST, "/api/v1/auth/login", None, &[("content-type", "application/json")])
            .await;
        not_json.expect_problem(400, "MALFORMED_JSON");
        let form = client
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        form.expect_problem(415, "UNSUPPORTED_MEDIA_TYPE");
    }
}

#[tokio::test]
async fn me_reports_the_session_and_401_carries_a_challenge() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let me = ann.get("/api/v1/me").await.expect(200);
        assert_eq!(me.body["auth"], "session");
        assert_eq!(me.body["roles"], json!(["member"]));
        assert_eq!(me.body["csrf_token"].as_str(), ann.csrf.as_deref());
        let anonymous = app.anonymous().get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
        assert_eq!(anonymous.header("www-authenticate"), Some(r#"Bearer realm="corkboard""#));
    }
}

#[tokio::test]
async fn unsafe_cookie_requests_without_the_csrf_token_are_refused() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let body = json!({"name": "ci", "scopes": ["boards:read"]});
        ann.without_csrf().post("/api/v1/me/tokens", &body).await.expect_problem(403, "CSRF_TOKEN_INVALID");
        let mut forged = ann.clone();
        forged.csrf = Some("not-the-token".into());
        forged.post("/api/v1/me/tokens", &body).await.expect_problem(403, "CSRF_TOKEN_INVALID");
        ann.post("/api/v1/me/tokens", &body).await.expect(201);
    }
}

#[tokio::test]
async fn logout_ends_the_session_and_the_old_cookie_is_refused() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        ann.without_csrf().post("/api/v1/auth/logout", &json!({})).await.expect_problem(403, "CSRF_TOKEN_INVALID");
        let out = ann.send(reqwest::Method::POST, "/api/v1/auth/logout", None, &[]).await.expect(204);
        assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
        ann.get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
        // The jar dropped the cookie; replay it by hand to prove the server forgot it.
        let old = ann.replaying_cookie(ann.cookie.as_deref().expect("cookie"));
        old.get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn signing_in_again_rotates_the_session() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let before = ann.get("/api/v1/me/sessions").await.expect(200);
        let first_id = before.body["items"][0]["id"].clone();
        let again = ann.clone().login("ann@x.io", "correct horse battery").await;
        let after = again.get("/api/v1/me/sessions").await.expect(200);
        let items = after.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "the previous session was revoked at sign-in: {items:?}");
        assert_ne!(items[0]["id"], first_id);
        assert_eq!(items[0]["current"], true);
    }
}

#[tokio::test]
async fn sessions_are_listed_and_revocable_only_by_their_owner() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let other_device = app.anonymous().login("ann@x.io", "correct horse battery").await;
        let bob = app.user("bob@x.io", false).await;
        let list = ann.get("/api/v1/me/sessions?limit=1").await.expect(200);
        assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
        let cursor = list.body["next_cursor"].as_str().expect("a second page").to_owned();
        let page2 = ann.get(&format!("/api/v1/me/sessions?cursor={cursor}")).await.expect(200);
        assert_eq!(page2.body["items"].as_array().map(Vec::len), Some(1));
        let all = ann.get("/api/v1/me/sessions").await.expect(200);
        let other_id = all.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|s| s["current"] == false))
            .and_then(|s| s["id"].as_str())
            .expect("the other device's session")
            .to_owned();
        bob.delete(&format!("/api/v1/me/sessions/{other_id}")).await.expect_problem(404, "NOT_FOUND");
        ann.delete(&format!("/api/v1/me/sessions/{other_id}")).await.expect(204);
        other_device.get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
        ann.get("/api/v1/me").await.expect(200);
        ann.get("/api/v1/me/sessions?cursor=garbage").await.expect_problem(400, "INVALID_CURSOR");
        ann.get("/api/v1/me/sessions?limit=0").await.expect_problem(422, "VALIDATION_FAILED");
    }
}
