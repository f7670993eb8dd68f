//! `Idempotency-Key` on POST and PATCH (decision 0048): the first answer to a request is kept
//! for 24 hours under the caller's key, and a retry of the same request with the same key gets
//! it again (with `Idempotent-Replayed: true`) instead of executing twice. The same key with
//! another request is 422 `IDEMPOTENCY_KEY_REUSED`; the same key while the first request still
//! runs is 409 `IDEMPOTENCY_KEY_IN_USE`. Keys are scoped to the credential that sent them.
//!
//! Answers are kept as sent, problems included (a refused request refuses again), except 5xx:
//! after a server error the key is given up, so a retry executes. Requests without credentials,
//! sign-in and sign-out, and token creation (`/me/tokens`) are not recorded: their answers
//! carry secrets. A method the route does not have is left to routing (405), whatever key it
//! carries.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use kernel::{Claim, IdempotencyStore};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;
use crate::extract::{BodyError, read_body};
use crate::middleware::{RequestContext, as_problem};
use crate::router::API_PREFIX;
use crate::state::AppState;

/// The request header.
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Marks a replayed answer.
pub(crate) const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// How long an answer is kept.
const KEEP_FOR: Duration = Duration::from_hours(24);
/// The longest key accepted.
const MAX_KEY_LEN: usize = 255;
/// Answers larger than this are sent but not kept (none of the API's POST or PATCH answers
/// comes near it).
const MAX_RECORD: usize = 1024 * 1024;
/// The answer's headers that are kept with it.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

/// Which routes take POST and PATCH, by template (`/boards/{board_id}/cards`, without
/// [`API_PREFIX`]), as the API's document lists them.
#[derive(Debug)]
pub(crate) struct Operations(HashMap<String, (bool, bool)>);

impl Operations {
    /// The POST and PATCH operations of `doc`, a document of the routes under [`API_PREFIX`].
    pub(crate) fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes =
            doc.paths.paths.iter().map(|(path, item)| (path.clone(), (item.post.is_some(), item.patch.is_some())));
        Self(routes.collect())
    }

    /// Whether the route matched by `template` (with or without [`API_PREFIX`]) has `method`.
    fn has(&self, method: &Method, template: &str) -> bool {
        let template = template.strip_prefix(API_PREFIX).unwrap_or(template);
        self.0.get(template).is_some_and(|&(post, patch)| match *method {
            Method::POST => post,
            Method::PATCH => patch,
            _ => false,
        })
    }
}

/// The middleware, on the routes nested under [`API_PREFIX`] (it sees their paths without it).
pub(crate) async fn middleware(
    State((s, operations)): State<(AppState, Arc<Operations>)>,
    request: Request,
    next: Next,
) -> Response {
    let keyed = matches!(*request.method(), Method::POST | Method::PATCH)
        && request.headers().contains_key(IDEMPOTENCY_KEY)
        && records(request.uri().path())
        && request.extensions().get::<MatchedPath>().is_some_and(|m| operations.has(request.method(), m.as_str()));
    if !keyed {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Some(scope) = crate::auth::credential_digest(&parts, &s) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let Some(key) = parts.headers.get(IDEMPOTENCY_KEY).and_then(valid_key).map(str::to_owned) else {
        return ApiError::bad_request(
            "INVALID_IDEMPOTENCY_KEY",
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
        )
        .into_response();
    };
    let body = match read_body(body, s.settings.body_limit).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "The request body is too large.")
                .into_response();
        }
        Err(BodyError::Unreadable) => {
            return ApiError::bad_request("BAD_REQUEST", "The request body could not be read.").into_response();
        }
    };
    let fingerprint = fingerprint(&parts, &body);
    let key = format!("{scope}:{key}");
    // A holder that vanishes (a crash) gives the key up once its request could no longer run.
    let lease = s.settings.request_timeout * 2;
    match s.idempotency.claim(&key, &fingerprint, lease).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(Claim::InFlight) => ApiError::new(
            StatusCode::CONFLICT,
            "IDEMPOTENCY_KEY_IN_USE",
            "A request with this Idempotency-Key is still being processed; retry later.",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
        .into_response(),
        Ok(Claim::Mismatch) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used for another request.",
        )
        .into_response(),
        Ok(Claim::Completed(record)) => match decode(&record) {
            Some(mut replay) => {
                replay.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
                replay
            }
            None => ApiError::internal(&std::io::Error::other("unreadable idempotency record")).into_response(),
        },
        Ok(Claim::Acquired) => {
            let held = Held { store: s.idempotency.clone(), key, fingerprint, settled: false };
            let context = parts.extensions.get::<RequestContext>().cloned();
            // The router nested here sees the path without the API's prefix; problems name the whole.
            let instance = format!("{API_PREFIX}{}", parts.uri.path());
            let response = next.run(Request::from_parts(parts, Body::from(body))).await;
            settle(held, response, &instance, context.as_ref().map_or("", RequestContext::id)).await
        }
    }
}

/// Whether answers to POST and PATCH on `path` (under [`API_PREFIX`], without it) are kept: not
/// for sign-in and sign-out, nor for making tokens and webhooks or changing webhooks, whose
/// answers carry (or may carry) secrets. Re-sending a webhook delivery is kept.
pub(crate) fn records(path: &str) -> bool {
    let webhook_secrets = path.starts_with("/webhooks") && !path.contains("/deliveries/");
    !path.starts_with("/auth/") && !path.starts_with("/me/tokens") && !webhook_secrets
}

/// Keeps the answer (rendered as it will be sent) or, after a server error, gives the key up.
async fn settle(mut claim: Held, response: Response, instance: &str, request_id: &str) -> Response {
    if response.status().is_server_error() {
        return response;
    }
    let response = as_problem(response, instance, request_id);
    let (head, body) = response.into_parts();
    if body.size_hint().upper().is_none_or(|n| n > MAX_RECORD as u64) {
        // Too large to keep, or of unknown length: sent as it is, and a retry executes again.
        return Response::from_parts(head, body);
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_RECORD).await else {
        return ApiError::internal(&std::io::Error::other("an answer's body could not be read")).into_response();
    };
    let record = encode(head.status, &head.headers, &body);
    match claim.store.complete(&claim.key, &claim.fingerprint, &record, KEEP_FOR).await {
        Ok(()) => claim.settled = true,
        Err(e) => tracing::warn!(error = %e, "an idempotency record was not kept"),
    }
    Response::from_parts(head, Body::from(body))
}

/// A claimed key. Dropped unsettled (a server error, an abandoned request, a record that was
/// not kept), it is given up in the background, so a retry can execute.
struct Held {
    store: Arc<dyn IdempotencyStore>,
    key: String,
    fingerprint: String,
    settled: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, key, fingerprint) =
            (self.store.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.fingerprint));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = store.release(&key, &fingerprint).await {
                    tracing::warn!(error = %e, "an idempotency key was not given up; it frees itself when its lease ends");
                }
            });
        }
    }
}

/// The key, if it is 1–255 visible ASCII characters.
fn valid_key(raw: &HeaderValue) -> Option<&str> {
    let bytes = raw.as_bytes();
    ((1..=MAX_KEY_LEN).contains(&bytes.len()) && bytes.iter().all(|b| (0x21..=0x7e).contains(b)))
        .then(|| raw.to_str().ok())
        .flatten()
}

/// What makes two requests the same: method, path and query, media type and body.
fn fingerprint(parts: &Parts, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [
        parts.method.as_str().as_bytes(),
        parts.uri.path_and_query().map_or("", |p| p.as_str()).as_bytes(),
        parts.headers.get(header::CONTENT_TYPE).map_or(&[][..], HeaderValue::as_bytes),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update(body);
    hex::encode(hash.finalize())
}

/// An answer as kept: the status, the kept headers (name and value, length-prefixed), the body.
fn encode(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::with_capacity(body.len() + 128);
    out.put_u16(status.as_u16());
    let kept: Vec<_> = KEPT_HEADERS.iter().filter_map(|name| headers.get(name).map(|v| (name, v))).collect();
    out.put_u8(u8::try_from(kept.len()).unwrap_or(0));
    for (name, value) in kept {
        out.put_u8(u8::try_from(name.as_str().len()).unwrap_or(0));
        out.put_slice(name.as_str().as_bytes());
        out.put_u16(u16::try_from(value.len()).unwrap_or(0));
        out.put_slice(value.as_bytes());
    }
    out.put_slice(body);
    out.to_vec()
}

/// The answer kept by [`encode`]; `None` for anything else.
fn decode(record: &[u8]) -> Option<Response> {
    let mut buf = Bytes::copy_from_slice(record);
    if buf.remaining() < 3 {
        return None;
    }
    let status = StatusCode::from_u16(buf.get_u16()).ok()?;
    let mut headers = HeaderMap::new();
    for _ in 0..buf.get_u8() {
        let name_len = usize::from(*buf.first()?);
        buf.advance(1);
        let name = HeaderName::from_bytes(buf.get(..name_len)?).ok()?;
        buf.advance(name_len);
        if buf.remaining() < 2 {
            return None;
        }
        let value_len = usize::from(buf.get_u16());
        let value = HeaderValue::from_bytes(buf.get(..value_len)?).ok()?;
        buf.advance(value_len);
        headers.insert(name, value);
    }
    let mut response = (status, buf).into_response();
    response.headers_mut().extend(headers);
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert_eq!(valid_key(&HeaderValue::from_static("a1-B2_c3")), Some("a1-B2_c3"));
        assert!(valid_key(&HeaderValue::from_str(&"k".repeat(255)).unwrap()).is_some());
        for bad in ["", "has space", "tab\there"] {
            assert!(valid_key(&HeaderValue::from_str(bad).unwrap()).is_none(), "{bad:?}");
        }
        assert!(valid_key(&HeaderValue::from_str(&"k".repeat(256)).unwrap()).is_none());
        assert!(valid_key(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_none());
    }

    #[tokio::test]
    async fn an_answer_reads_back_with_its_status_kept_headers_and_body() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::ETAG, HeaderValue::from_static("\"1\""));
        headers.insert(header::SET_COOKIE, HeaderValue::from_static("secret=1"));
        let record = encode(StatusCode::CREATED, &headers, b"{\"id\":1}");
        let response = decode(&record).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()[header::ETAG], "\"1\"");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert!(response.headers().get(header::SET_COOKIE).is_none(), "only the kept headers");
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"{\"id\":1}");
        assert!(decode(&record[..4]).is_none() && decode(b"").is_none());
    }

    #[test]
    fn the_fingerprint_covers_method_path_media_type_and_body() {
        let parts = |method: &str, uri: &str, ct: &str| {
            let (parts, ()) = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::CONTENT_TYPE, ct)
                .body(())
                .unwrap()
                .into_parts();
            parts
        };
        let base = fingerprint(&parts("POST", "/api/v1/boards", "application/json"), b"{}");
        assert_eq!(base, fingerprint(&parts("POST", "/api/v1/boards", "application/json"), b"{}"));
        assert_ne!(base, fingerprint(&parts("PATCH", "/api/v1/boards", "application/json"), b"{}"));
        assert_ne!(base, fingerprint(&parts("POST", "/api/v1/boards?x=1", "application/json"), b"{}"));
        assert_ne!(base, fingerprint(&parts("POST", "/api/v1/boards", "text/plain"), b"{}"));
        assert_ne!(base, fingerprint(&parts("POST", "/api/v1/boards", "application/json"), b"{ }"));
    }
}
