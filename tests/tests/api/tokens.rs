//! Personal access tokens: shown once, scoped, revocable.

use corkboard_tests::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_token_is_shown_once_authenticates_and_stops_working_when_revoked() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let created =
            ann.post("/api/v1/me/tokens", &json!({"name": "ci", "scopes": ["boards:read"]})).await.expect(201);
        let secret = created.body["token"].as_str().expect("secret").to_owned();
        assert!(secret.starts_with("cbp_"));
        assert!(secret.starts_with(created.body["prefix"].as_str().unwrap_or("-")));
        let listed = ann.get("/api/v1/me/tokens").await.expect(200);
        assert_eq!(listed.body["items"][0]["name"], "ci");
        assert!(listed.body["items"][0].get("token").is_none(), "the secret is never listed");

        let bearer = ann.with_bearer(&secret);
        let me = bearer.get("/api/v1/me").await.expect(200);
        assert_eq!(me.body["auth"], "token");
        assert_eq!(me.body["scopes"], json!(["boards:read"]));
        let listed = ann.get("/api/v1/me/tokens").await.expect(200);
        assert!(listed.body["items"][0]["last_used_at"].is_string(), "use is recorded");

        let id = created.body["id"].as_str().expect("id");
        ann.delete(&format!("/api/v1/me/tokens/{id}")).await.expect(204);
        bearer.get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
        ann.delete(&format!("/api/v1/me/tokens/{id}")).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn tokens_cannot_manage_tokens_and_are_limited_by_scope() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        let created =
            admin.post("/api/v1/me/tokens", &json!({"name": "ro", "scopes": ["boards:read"]})).await.expect(201);
        let bearer = admin.with_bearer(created.body["token"].as_str().expect("secret"));
        bearer
            .post("/api/v1/me/tokens", &json!({"name": "x", "scopes": ["boards:read"]}))
            .await
            .expect_problem(403, "SESSION_REQUIRED");
        bearer.get("/api/v1/users").await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let admin_token =
            admin.post("/api/v1/me/tokens", &json!({"name": "adm", "scopes": ["users:manage"]})).await.expect(201);
        admin.with_bearer(admin_token.body["token"].as_str().expect("secret")).get("/api/v1/users").await.expect(200);
    }
}

#[tokio::test]
async fn bad_token_requests_are_422() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        for body in [
            json!({"name": "", "scopes": ["boards:read"]}),
            json!({"name": "x", "scopes": []}),
            json!({"name": "x", "scopes": ["boards:destroy"]}),
            json!({"name": "x", "scopes": ["boards:read"], "expires_at": "2001-01-01T00:00:00Z"}),
            json!({"name": "x", "scopes": ["users:manage"]}),
            json!({"name": "x", "scopes": ["boards:read"], "expires_at": "tomorrow"}),
        ] {
            let r = ann.post("/api/v1/me/tokens", &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert!(r.body["errors"][0]["field"].is_string(), "{body}: {:#}", r.body);
        }
        let bearer = ann.with_bearer("cbp_not-a-real-token");
        bearer.get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
    }
}
