//! `Idempotency-Key` through the API on every backend: a retried POST or PATCH with the same
//! key and body gets the first answer again and changes nothing more; another body is 422; a
//! malformed key is 400; a refused request is refused again the same way; keys are the
//! caller's own; the document declares the header.

use corkboard_tests::{Session, TestApp, TestResponse};
use reqwest::Method;
use serde_json::{Value, json};

async fn post_with_key(session: &Session, path: &str, body: &Value, key: &str) -> TestResponse {
    session.send(Method::POST, path, Some(body), &[("idempotency-key", key)]).await
}

async fn board_count(session: &Session) -> usize {
    session.get("/api/v1/boards?limit=200").await.expect(200).body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_answer_and_executes_nothing() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let body = json!({"name": "Launch"});
        let first = post_with_key(&ann, "/api/v1/boards", &body, "create-launch-1").await.expect(201);
        assert!(first.header("idempotent-replayed").is_none());
        let again = post_with_key(&ann, "/api/v1/boards", &body, "create-launch-1").await.expect(201);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.body, first.body, "{:?}", app.db.backend);
        assert_eq!(again.header("etag"), first.header("etag"));
        assert_eq!(board_count(&ann).await, 1, "one board, however many retries");

        // The same key for another request.
        let other = post_with_key(&ann, "/api/v1/boards", &json!({"name": "Other"}), "create-launch-1").await;
        other.expect_problem(422, "IDEMPOTENCY_KEY_REUSED");
        // Another user's key of the same name is theirs.
        let bob = app.user("bob@x.io", false).await;
        post_with_key(&bob, "/api/v1/boards", &body, "create-launch-1").await.expect(201);
        assert_eq!(board_count(&bob).await, 1);

        // A PATCH is replayed too: the second would otherwise fail on the stale version.
        let id = first.body["id"].as_str().unwrap();
        let patch = |key: &'static str| {
            let ann = ann.clone();
            let path = format!("/api/v1/boards/{id}");
            async move {
                ann.send(
                    Method::PATCH,
                    &path,
                    Some(&json!({"name": "Launched"})),
                    &[("idempotency-key", key), ("if-match", "\"1\"")],
                )
                .await
            }
        };
        let renamed = patch("rename-1").await.expect(200);
        let replayed = patch("rename-1").await.expect(200);
        assert_eq!(replayed.body["version"], renamed.body["version"]);
        patch("rename-2").await.expect_problem(412, "VERSION_MISMATCH");

        // A refused request is refused again, from the record.
        let bad = post_with_key(&ann, "/api/v1/boards", &json!({"name": ""}), "bad-1").await.expect(422);
        let bad_again = post_with_key(&ann, "/api/v1/boards", &json!({"name": ""}), "bad-1").await.expect(422);
        assert_eq!(bad_again.body, bad.body);
        assert_eq!(bad_again.header("idempotent-replayed"), Some("true"));

        // Without a key, or with one the API refuses.
        ann.post("/api/v1/boards", &body).await.expect(201);
        post_with_key(&ann, "/api/v1/boards", &body, &"k".repeat(256))
            .await
            .expect_problem(400, "INVALID_IDEMPOTENCY_KEY");
        post_with_key(&ann, "/api/v1/boards", &body, "two words").await.expect_problem(400, "INVALID_IDEMPOTENCY_KEY");

        // A method the route does not have is refused as such, whatever key it carries.
        let wrong = |key: &'static str| {
            let ann = ann.clone();
            async move {
                ann.send(Method::PATCH, "/api/v1/boards", Some(&json!({"name": "x"})), &[("idempotency-key", key)])
                    .await
            }
        };
        wrong("create-launch-1").await.expect_problem(405, "METHOD_NOT_ALLOWED");
        wrong("two words").await.expect_problem(405, "METHOD_NOT_ALLOWED");
        app.stop().await;
    }
}

#[tokio::test]
async fn every_post_and_patch_of_the_api_declares_the_key() {
    let doc = serde_json::to_value(adapter_http::openapi()).unwrap();
    let mut declared = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "patch"] {
            let Some(op) = item.get(method) else { continue };
            let has = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"));
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| !s.iter().any(|r| r.as_object().is_some_and(serde_json::Map::is_empty)));
            // Answers that carry (or may carry) a secret are not kept: sign-in, tokens, webhooks.
            let webhook_secret = path.starts_with("/api/v1/webhooks") && !path.contains("/deliveries/");
            let recorded =
                !path.starts_with("/api/v1/auth/") && !path.starts_with("/api/v1/me/tokens") && !webhook_secret;
            let expected = path.starts_with("/api/v1/") && recorded && secured;
            assert_eq!(has, expected, "{method} {path}");
            if has {
                assert!(
                    op["responses"].get("409").is_some() && op["responses"].get("422").is_some(),
                    "{method} {path}"
                );
                declared += 1;
            }
        }
    }
    assert!(declared > 20, "{declared}");
}
