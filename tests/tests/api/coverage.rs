//! Rules that hold for every operation, enumerated from the OpenAPI document itself, so a new
//! route is covered the day it is added.

use corkboard_tests::{Session, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// Every documented operation: (method, path template, operation object).
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (name, method) in
            [("get", Method::GET), ("post", Method::POST), ("patch", Method::PATCH), ("delete", Method::DELETE)]
        {
            if let Some(op) = item.get(name) {
                out.push((method, path.clone(), op.clone()));
            }
        }
    }
    out
}

/// The template with every `{param}` replaced by a fresh id.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| if segment.starts_with('{') { uuid::Uuid::now_v7().to_string() } else { segment.to_owned() })
        .collect::<Vec<_>>()
        .join("/")
}

fn requires_auth(op: &Value) -> bool {
    op["security"]
        .as_array()
        .is_some_and(|options| options.iter().all(|o| o.as_object().is_some_and(|m| !m.is_empty())))
}

async fn call(session: &Session, method: &Method, path: &str) -> corkboard_tests::TestResponse {
    let body = (*method == Method::POST || *method == Method::PATCH).then(|| json!({}));
    session.send(method.clone(), path, body.as_ref(), &[]).await
}

#[tokio::test]
async fn every_protected_operation_refuses_anonymous_callers_with_401() {
    for app in TestApp::each_backend().await {
        let anonymous = app.anonymous();
        let ops = operations(app.conformance().doc());
        let protected: Vec<_> = ops.iter().filter(|(_, _, op)| requires_auth(op)).collect();
        assert!(protected.len() > 30, "the document lists the protected operations ({})", protected.len());
        for (method, template, _) in protected {
            let r = call(&anonymous, method, &concrete(template)).await;
            assert_eq!(r.status, 401, "{method} {template}: {:#}", r.body);
            assert!(r.header("www-authenticate").is_some(), "{method} {template}");
        }
    }
}

#[tokio::test]
async fn every_unsafe_cookie_request_without_the_csrf_token_is_refused_with_403() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await.without_csrf();
        for (method, template, op) in operations(app.conformance().doc()) {
            let session_allowed =
                op["security"].as_array().is_some_and(|o| o.iter().any(|s| s.get("session").is_some()));
            if method == Method::GET || !session_allowed {
                continue;
            }
            let r = call(&ann, &method, &concrete(&template)).await;
            assert_eq!((r.status, r.body["code"].as_str()), (403, Some("CSRF_TOKEN_INVALID")), "{method} {template}");
        }
    }
}

#[tokio::test]
async fn every_read_or_delete_of_an_unknown_id_is_404() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        for (method, template, _) in operations(app.conformance().doc()) {
            if !(method == Method::GET || method == Method::DELETE) || !template.contains('{') {
                continue;
            }
            let r = call(&admin, &method, &concrete(&template)).await;
            assert_eq!((r.status, r.body["code"].as_str()), (404, Some("NOT_FOUND")), "{method} {template}");
        }
    }
}

/// The scopes the document says a bearer token needs for `op` (empty: any token will do).
fn bearer_scopes(op: &Value) -> Vec<String> {
    op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|requirement| requirement.get("bearer"))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_scoped_read_or_delete_refuses_a_token_without_its_scope() {
    for app in TestApp::each_backend().await {
        let admin = app.user("admin@x.io", true).await;
        // Two tokens of one scope each: every route is called with one whose scope it does not ask for.
        let mut tokens = Vec::new();
        for scope in ["webhooks:manage", "audit:read"] {
            let token = admin.post("/api/v1/me/tokens", &json!({"name": scope, "scopes": [scope]})).await.expect(201);
            tokens.push((scope, admin.with_bearer(token.body["token"].as_str().expect("secret"))));
        }
        let mut checked = 0;
        for (method, template, op) in operations(app.conformance().doc()) {
            let scopes = bearer_scopes(&op);
            if !(method == Method::GET || method == Method::DELETE) || scopes.is_empty() {
                continue;
            }
            let (_, bearer) = tokens
                .iter()
                .find(|(scope, _)| !scopes.iter().any(|s| s == scope))
                .unwrap_or_else(|| panic!("{method} {template} asks for every test token's scope"));
            let r = call(bearer, &method, &concrete(&template)).await;
            assert_eq!((r.status, r.body["code"].as_str()), (403, Some("INSUFFICIENT_SCOPE")), "{method} {template}");
            checked += 1;
        }
        assert!(checked > 15, "{checked} operations checked");
    }
}
