//! The HTTP conventions every route shares: problem documents, request ids, security headers,
//! limits, health, and the OpenAPI document itself.

use corkboard_tests::TestApp;
use serde_json::json;

#[tokio::test]
async fn unknown_paths_and_methods_are_problem_documents() {
    for app in TestApp::each_backend().await {
        let (client, base) = app.raw();
        let missing = client.get(format!("{base}/nope")).send().await.expect("sent");
        assert_eq!(missing.status(), 404);
        assert_eq!(missing.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = missing.json().await.expect("json");
        assert_eq!((body["code"].as_str(), body["instance"].as_str()), (Some("NOT_FOUND"), Some("/nope")));
        let wrong = client.put(format!("{base}/api/v1/me")).send().await.expect("sent");
        assert_eq!(wrong.status(), 405);
        let body: serde_json::Value = wrong.json().await.expect("json");
        assert_eq!(body["code"], "METHOD_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_when_valid_and_replaced_when_not() {
    for app in TestApp::each_backend().await {
        let client = app.anonymous();
        let echoed = client.send(reqwest::Method::GET, "/health/live", None, &[("x-request-id", "abc-123")]).await;
        assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
        let replaced = client.send(reqwest::Method::GET, "/health/live", None, &[("x-request-id", "<script>")]).await;
        let generated = replaced.header("x-request-id").expect("generated id");
        assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
        let problem = client.send(reqwest::Method::GET, "/api/v1/me", None, &[("x-request-id", "trace-me")]).await;
        assert_eq!(problem.body["request_id"], "trace-me");
    }
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    for app in TestApp::each_backend().await {
        for path in ["/health/live", "/api/v1/me"] {
            let r = app.anonymous().get(path).await;
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
            assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
            assert_eq!(r.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));
            assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
    }
}

#[tokio::test]
async fn bodies_over_the_configured_limit_are_refused_with_413() {
    for app in TestApp::each_backend().await {
        // The limit is 1 MiB by default; axum's own default, 2 MB, would let 1.5 MiB through.
        let over = "x".repeat(1536 * 1024);
        let r = app.anonymous().post("/api/v1/auth/login", &json!({"email": "a@x.io", "password": over})).await;
        r.expect_problem(413, "PAYLOAD_TOO_LARGE");
        // Just under the limit the body is read: the password is then too long to be one.
        let under = "x".repeat(1024 * 1024 - 100);
        let r = app.anonymous().post("/api/v1/auth/login", &json!({"email": "a@x.io", "password": under})).await;
        r.expect_problem(422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn health_endpoints_report_the_database() {
    for app in TestApp::each_backend().await {
        let client = app.anonymous();
        client.get("/health/live").await.expect(200);
        let ready = client.get("/health/ready").await.expect(200);
        assert_eq!(ready.body["checks"]["database"], "ok");
        if app.db.backend == corkboard_tests::Backend::Postgres && std::env::var("TEST_REDIS_URL").is_ok() {
            assert_eq!(ready.body["checks"]["redis"], "ok");
        }
    }
}

#[tokio::test]
async fn the_openapi_document_and_docs_page_are_served_from_the_binary() {
    for app in TestApp::each_backend().await {
        let (client, base) = app.raw();
        let doc: serde_json::Value =
            client.get(format!("{base}/api/v1/openapi.json")).send().await.expect("sent").json().await.expect("json");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
        assert_eq!(&doc, app.conformance().doc(), "the served document is the one the tests check against");
        let page = client.get(format!("{base}/docs/")).send().await.expect("sent");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("html");
        assert!(!html.contains("cdn") && !html.contains("unpkg"), "no CDN assets");
        for asset in ["swagger-ui.css", "swagger-ui-bundle.js"] {
            assert_eq!(client.get(format!("{base}/docs/{asset}")).send().await.expect("sent").status(), 200, "{asset}");
        }
    }
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let allowed = "https://app.example.com";
    let app = corkboard_tests::TestApp::spawn_with(corkboard_tests::Backend::Sqlite, |c| {
        c.http.cors_origins = vec![allowed.to_owned()];
    })
    .await
    .expect("sqlite always runs");
    let (client, base) = app.raw();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/api/v1/boards"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-csrf-token")
            .send()
    };
    let ok = preflight(allowed).await.expect("sent");
    assert_eq!(ok.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(allowed));
    assert_eq!(ok.headers().get("access-control-allow-credentials").and_then(|v| v.to_str().ok()), Some("true"));
    let refused = preflight("https://evil.example").await.expect("sent");
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}
