//! Cross-cutting request handling that is ours rather than a tower-http layer: request ids, the
//! access log, panics, problem rendering, security headers and the request's metrics, in one
//! hand-written tower service ([`Edge`]); and the request time-out ([`Deadline`]), which sits
//! inside CORS so that its 503 carries CORS headers too.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::{Layer, Service};
use tracing::Span;

use crate::error::{ProblemParts, default_parts, render};
use crate::metrics::{Measured, RequestMetrics};

/// Who sent the current request and under which id, in the request's extensions (one entry
/// for both, decision 0044).
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    /// The request id: a header value already, so echoing and logging it copies nothing.
    pub id: HeaderValue,
    /// The client's address, as the connection gave it (axum's `ConnectInfo`, which the edge
    /// takes out of the extensions: a fourth entry there makes the map grow on every request).
    pub peer: Option<SocketAddr>,
}

impl RequestContext {
    /// The id as text (always visible ASCII: accepted ones are checked, ours are UUIDs).
    pub(crate) fn id(&self) -> &str {
        self.id.to_str().unwrap_or_default()
    }
}

/// Marks an error response whose body is already the documented one (a health report), so
/// the edge leaves it alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepBody;

/// The `X-Request-Id` header, as a name: looking a header up or inserting it by a `&str` parses
/// the text again each time.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The outermost layer of every request ([`Edge`]). `https`: the server is reached over HTTPS,
/// so responses carry `Strict-Transport-Security` too.
#[derive(Debug, Clone)]
pub(crate) struct EdgeLayer {
    security: &'static HeaderMap,
    metrics: Arc<RequestMetrics>,
}

impl EdgeLayer {
    pub(crate) fn new(https: bool) -> Self {
        Self { security: if https { &SECURITY_HEADERS_HTTPS } else { &SECURITY_HEADERS }, metrics: Arc::default() }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge { inner, security: self.security, metrics: Arc::clone(&self.metrics) }
    }
}

/// What every request and response gets, in one service with a future of its own: written by
/// hand because `axum::middleware::from_fn` boxes the rest of the stack and its future for every
/// request, and tower-http's trace and panic layers each wrap or box every response body
/// (decision 0034).
///
/// - the **request id**: the caller's `X-Request-Id` when it is a reasonable token (1–128 of
///   `[A-Za-z0-9._:-]`), otherwise a new UUIDv7; stored for handlers and logs, echoed on the
///   response;
/// - the request's **span** (method, route template, request id, W3C trace id), entered
///   whenever the rest of the stack runs, and the **access log** line with status and latency
///   ([`request_span`], [`log_response`]);
/// - **panics** in the rest of the stack become a 500 (logged, details never sent);
/// - **problem documents** for error responses that are not one yet ([`as_problem`]);
/// - the **security headers**, unless the handler set its own ([`security_headers`]);
/// - the request's **metrics**, with its final status ([`Measured`]).
#[derive(Debug, Clone)]
pub(crate) struct Edge<S> {
    inner: S,
    security: &'static HeaderMap,
    metrics: Arc<RequestMetrics>,
}

impl<S, B> Service<Request> for Edge<S>
where
    S: Service<Request, Response = http::Response<B>, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let measured = Measured::start(&req, &self.metrics);
        let id = match req.headers().get(&REQUEST_ID).filter(|v| is_valid_request_id(v.as_bytes())) {
            Some(given) => given.clone(),
            None => new_request_id(),
        };
        let (span, traced) = request_span(&req, &id);
        let extensions = req.extensions_mut();
        let peer = extensions.remove::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr);
        extensions.insert(RequestContext { id: id.clone(), peer });
        // Kept for an error's problem document; the clone shares the URI's bytes.
        let uri = req.uri().clone();
        let inner = span.in_scope(|| self.inner.call(req));
        EdgeFuture { inner, span, answer: Some(Answer { measured, id, uri, security: self.security, traced }) }
    }
}

/// What the response still needs once the rest of the stack has answered.
struct Answer {
    measured: Measured,
    id: HeaderValue,
    uri: Uri,
    security: &'static HeaderMap,
    /// Whether the request's span is exported as an OpenTelemetry span.
    traced: bool,
}

pin_project! {
    /// The future of [`Edge`].
    pub(crate) struct EdgeFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        answer: Option<Answer>,
    }
}

impl<F, B> Future for EdgeFuture<F>
where
    F: Future<Output = Result<http::Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _in_span = this.span.enter();
        // A panic leaves the inner future unusable; it is never polled again (the answer is
        // taken below).
        let response = match std::panic::catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(response))) => response.map(Body::new),
            Ok(Poll::Ready(Err(never))) => match never {},
            Err(panic) => {
                tracing::error!(panic = panic_text(panic.as_ref()), "a request handler panicked");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        };
        let Answer { measured, id, uri, security, traced } =
            this.answer.take().expect("EdgeFuture polled after it completed");
        let mut response = as_problem(response, uri.path(), id.to_str().unwrap_or_default());
        with_security_headers(response.headers_mut(), security);
        let took = measured.finish(response.status());
        log_response(this.span, response.status(), took);
        if traced {
            crate::trace::finish(this.span, response.status());
        }
        response.headers_mut().insert(REQUEST_ID, id);
        Poll::Ready(Ok(response))
    }
}

/// The request time-out ([`Deadline`]) as a layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeadlineLayer {
    limit: Duration,
}

impl DeadlineLayer {
    pub(crate) fn new(limit: Duration) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline { inner, limit: self.limit }
    }
}

/// Answers 503 when the rest of the stack has not answered within its time (`limit`, counted
/// from the moment it first waits); the rest of the request's work is dropped, which cancels it. The
/// timer is armed only when the rest of the stack first waits: a request answered on its first
/// poll (a health probe, a kept board view) never touches the runtime's timer wheel. tower-http's
/// `Timeout` arms one for every request, a lock of the wheel when it is armed, another when it
/// is dropped, and a wake-up of the thread that drives the timers when it is the earliest
/// (decision 0043).
#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
    limit: Duration,
}

impl<S, B> Service<Request> for Deadline<S>
where
    S: Service<Request, Response = http::Response<B>, Error = Infallible>,
    B: Default,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        DeadlineFuture { inner: self.inner.call(req), limit: self.limit, timer: None }
    }
}

pin_project! {
    /// The future of [`Deadline`].
    pub(crate) struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        limit: Duration,
        // Boxed: a timer is larger than the rest of this future, and most requests never need one.
        timer: Option<Pin<Box<Sleep>>>,
    }
}

impl<F, B> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<http::Response<B>, Infallible>>,
    B: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(answer) = this.inner.poll(cx) {
            return Poll::Ready(answer);
        }
        let limit = *this.limit;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let mut response = http::Response::new(B::default());
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                // As every 503 of the API says: retrying is safe, after a moment.
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                Poll::Ready(Ok(response))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Whether `route` is polled by machines rather than called by users: health probes (every few
/// seconds from each load balancer and orchestrator) and the metrics scrape. Their successful
/// answers are logged at DEBUG, so the access log at INFO holds the traffic that matters; they
/// are counted in the metrics like every route, and a failing probe is logged at INFO
/// (decision 0033).
fn is_probe(route: &str) -> bool {
    route.starts_with("/health/") || route == "/metrics"
}

/// The request's span, and whether it is exported as an OpenTelemetry span
/// ([`crate::trace::start`]): a DEBUG span for probes, which costs nothing at the default level
/// and is never exported.
fn request_span(req: &Request, request_id: &HeaderValue) -> (Span, bool) {
    use tracing::field::Empty;
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
    let request_id = request_id.to_str().unwrap_or_default();
    // Field values are only worked out for a span that is enabled; the empty ones are filled in
    // by `trace::start`.
    let span = if is_probe(route) {
        tracing::debug_span!("http", method = %req.method(), route, request_id, trace_id = Empty, span_id = Empty, otel.name = Empty, otel.kind = Empty)
    } else {
        tracing::info_span!("http", method = %req.method(), route, request_id, trace_id = Empty, span_id = Empty, otel.name = Empty, otel.kind = Empty)
    };
    let traced = !span.is_disabled() && crate::trace::start(&span, req, route);
    (span, traced)
}

/// The access log line: at DEBUG for a successful probe, at ERROR for a server error, at INFO
/// otherwise.
fn log_response(span: &Span, status: StatusCode, took: std::time::Duration) {
    let (latency_ms, code) = (took.as_secs_f64() * 1000.0, status.as_u16());
    let probe = span.metadata().is_some_and(|m| *m.level() == tracing::Level::DEBUG);
    if status.is_server_error() {
        tracing::error!(status = code, latency_ms, "response");
    } else if probe && status.is_success() {
        tracing::debug!(status = code, latency_ms, "response");
    } else {
        tracing::info!(status = code, latency_ms, "response");
    }
}

/// The message of a panic, for the log (never for the client).
fn panic_text(panic: &(dyn Any + Send)) -> &str {
    panic.downcast_ref::<&str>().copied().or_else(|| panic.downcast_ref::<String>().map(String::as_str)).unwrap_or("")
}

/// The security headers every response carries unless its handler set its own (the docs page and
/// the sign-in pages set their Content-Security-Policy, static assets their Cache-Control).
const SECURITY_DEFAULTS: [(HeaderName, &str); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
    (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

/// `Strict-Transport-Security`, sent besides them when the server is reached over HTTPS.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The security headers as a header map, made once, its index table sized for a response's own
/// headers and the request id too ([`with_security_headers`]; a copy's entries still grow once,
/// a copied vector having room for what it holds only).
static SECURITY_HEADERS: LazyLock<HeaderMap> = LazyLock::new(|| security_header_map(false));
/// The same with [`HSTS`].
static SECURITY_HEADERS_HTTPS: LazyLock<HeaderMap> = LazyLock::new(|| security_header_map(true));

fn security_header_map(https: bool) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(SECURITY_DEFAULTS.len() + 8);
    let hsts = https.then_some((header::STRICT_TRANSPORT_SECURITY, HSTS));
    for (name, value) in SECURITY_DEFAULTS.into_iter().chain(hsts) {
        map.insert(name, HeaderValue::from_static(value));
    }
    map
}

/// Gives `headers` the `security` headers it does not set itself. A copy of the made map with the
/// response's own headers added (replacing ours of the same name, keeping each of their values)
/// costs half of looking up and adding each of ours in the response's map, which also has to
/// grow for them (about 1,000 instructions against 2,000; decision 0043).
fn with_security_headers(headers: &mut HeaderMap, security: &HeaderMap) {
    let own = std::mem::replace(headers, security.clone());
    headers.extend(own);
}

/// A new request id: a UUIDv7 of the current millisecond with 74 random bits, formatted on the
/// stack and then handed over whole (a header value made from text copies it, and the copy is
/// copied once more when it is first cloned, for the request's extensions). Not
/// `Uuid::now_v7`, which orders the ids of one millisecond by a counter behind a lock that
/// every request thread shares; request ids need to be unique, not ordered (decision 0043).
fn new_request_id() -> HeaderValue {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
    // A v4 UUID's last ten bytes are random except for the bits a v7 UUID sets at the same places
    // (version and variant).
    let mut random = [0u8; 10];
    random.copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[6..]);
    let mut buffer = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid().hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_maybe_shared(Bytes::from_owner(buffer)).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

fn is_valid_request_id(v: &[u8]) -> bool {
    (1..=128).contains(&v.len()) && v.iter().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}

/// Renders an error response as `application/problem+json`: one built from
/// [`crate::ApiError`] keeps its code and detail; any other (a framework rejection, a tower
/// timeout, a caught panic) gets a generic problem for its status. Bodies of 5xx responses
/// never carry internals. Other responses pass unchanged.
pub(crate) fn as_problem(response: Response, instance: &str, request_id: &str) -> Response {
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

    #[test]
    fn new_request_ids_are_distinct_uuids_of_version_7_and_of_now() {
        let parse = |id: HeaderValue| uuid::Uuid::parse_str(id.to_str().unwrap()).unwrap();
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
        let (a, b) = (parse(new_request_id()), parse(new_request_id()));
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!((id.get_version_num(), id.get_variant()), (7, uuid::Variant::RFC4122));
            let (secs, nanos) = id.get_timestamp().expect("a v7 timestamp").to_unix();
            let millis = u128::from(secs) * 1000 + u128::from(nanos / 1_000_000);
            assert!((before..=after).contains(&millis), "{before} <= {millis} <= {after}");
        }
    }

    #[test]
    fn a_response_keeps_its_own_headers_and_gets_the_security_headers_it_lacks() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::SET_COOKIE, HeaderValue::from_static("b=2"));
        with_security_headers(&mut headers, &SECURITY_HEADERS);

        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "default-src 'self'", "its own, not ours");
        assert_eq!(headers.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1);
        assert_eq!(headers.get_all(header::SET_COOKIE).iter().collect::<Vec<_>>(), ["a=1", "b=2"]);
        for (name, value) in SECURITY_DEFAULTS.iter().filter(|(n, _)| *n != header::CONTENT_SECURITY_POLICY) {
            assert_eq!(headers[name], *value, "{name}");
        }
        assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY), "HSTS only over HTTPS");

        let mut headers = HeaderMap::new();
        with_security_headers(&mut headers, &SECURITY_HEADERS_HTTPS);
        assert_eq!(headers[header::STRICT_TRANSPORT_SECURITY], HSTS);
        assert_eq!(headers.len(), SECURITY_DEFAULTS.len() + 1);
    }
}
