//! Cross-cutting request handling that is ours rather than a tower-http layer: request ids,
//! problem rendering and the request's metrics, in one middleware ([`edge`]).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ProblemParts, default_parts, render};

/// The request id of the current request, in the request's extensions: a header value
/// already, so echoing and logging it copies nothing.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub HeaderValue);

impl RequestId {
    /// The id as text (always visible ASCII: accepted ones are checked, ours are UUIDs).
    pub(crate) fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// Marks an error response whose body is already the documented one (a health report), so
/// the problems layer leaves it alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepBody;

/// The `X-Request-Id` header.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// The outermost layer of every request, three jobs in one middleware (each `from_fn` layer
/// boxes the rest of the stack and its future again, for every request):
///
/// - the **request id**: the caller's `X-Request-Id` when it is a reasonable token (1–128 of
///   `[A-Za-z0-9._:-]`), otherwise a new UUIDv7; stored for handlers and logs, echoed on the
///   response;
/// - **problem documents** for error responses that are not one yet ([`as_problem`]);
/// - the request's **metrics**, with its final status ([`crate::metrics::Measured`]).
pub(crate) async fn edge(mut req: Request, next: Next) -> Response {
    let measured = crate::metrics::Measured::start(&req);
    let id = match req.headers().get(REQUEST_ID).filter(|v| is_valid_request_id(v.as_bytes())) {
        Some(given) => given.clone(),
        None => new_request_id(),
    };
    req.extensions_mut().insert(RequestId(id.clone()));
    // Kept for an error's problem document; the clone shares the URI's bytes.
    let uri = req.uri().clone();
    let response = next.run(req).await;
    let mut response = as_problem(response, uri.path(), id.to_str().unwrap_or_default());
    measured.finish(response.status());
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// A new UUIDv7 as a header value, formatted on the stack.
fn new_request_id() -> HeaderValue {
    let mut buffer = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

fn is_valid_request_id(v: &[u8]) -> bool {
    (1..=128).contains(&v.len()) && v.iter().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}

/// Renders an error response as `application/problem+json`: one built from
/// [`crate::ApiError`] keeps its code and detail; any other (a framework rejection, a tower
/// timeout, a caught panic) gets a generic problem for its status. Bodies of 5xx responses
/// never carry internals. Other responses pass unchanged.
fn as_problem(response: Response, instance: &str, request_id: &str) -> Response {
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
    let problem = render(status, parts, instance, request_id);
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
        assert!(is_valid_request_id(b"abc-123_x.y:z"));
        assert!(!is_valid_request_id(b""));
        assert!(!is_valid_request_id(b"has space"));
        assert!(!is_valid_request_id("a".repeat(129).as_bytes()));
        assert!(!is_valid_request_id(b"<script>"));
        assert!(is_valid_request_id(new_request_id().as_bytes()), "ours pass our own check");
    }
}
