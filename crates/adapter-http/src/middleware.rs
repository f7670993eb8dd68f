//! Cross-cutting request handling that is ours rather than a tower-http layer: request ids
//! and problem rendering.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ProblemParts, default_parts, render};

/// The request id of the current request, in the request's extensions.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub String);

/// Marks an error response whose body is already the documented one (a health report), so
/// the problems layer leaves it alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepBody;

/// The `X-Request-Id` header.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// Accepts a caller's `X-Request-Id` when it is a reasonable token (1–128 of
/// `[A-Za-z0-9._:-]`), otherwise generates a UUIDv7; stores it for handlers and logs and
/// echoes it on the response.
pub(crate) async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid_request_id(v))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

fn is_valid_request_id(v: &str) -> bool {
    (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// Renders every error response as `application/problem+json`: those built from
/// [`crate::ApiError`] keep their code and detail; any other (a framework rejection, a tower
/// timeout, a caught panic) gets a generic problem for its status. Bodies of 5xx responses
/// never carry internals.
pub(crate) async fn problems(req: Request, next: Next) -> Response {
    let instance = req.uri().path().to_owned();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let already_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"application/problem+json"));
    if already_problem || response.extensions().get::<KeepBody>().is_some() {
        return response;
    }
    let (mut head, _body) = response.into_parts();
    let parts = head.extensions.remove::<ProblemParts>().unwrap_or_else(|| default_parts(status));
    let problem = render(status, parts, &instance, &request_id);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    head.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(body))
}

/// The answer for a path that matches no route.
pub(crate) async fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_bounded_tokens() {
        assert!(is_valid_request_id("abc-123_x.y:z"));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id("has space"));
        assert!(!is_valid_request_id(&"a".repeat(129)));
        assert!(!is_valid_request_id("<script>"));
    }
}
