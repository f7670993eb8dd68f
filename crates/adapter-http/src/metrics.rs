//! HTTP metrics: a middleware that counts and times every request by route template, and the
//! `GET /metrics` endpoint. This crate only records through the `metrics` facade; the exporter
//! (Prometheus) is chosen and installed by the composition root, which hands in a render
//! function ([`MetricsRender`]).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Renders the process's metrics in the Prometheus text exposition format (version 0.0.4).
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// Counter of answered requests, by `method`, `route` (template) and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
/// Histogram of request durations in seconds, by `method` and `route` (template).
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";

/// Records [`HTTP_REQUESTS_TOTAL`] and [`HTTP_REQUEST_DURATION_SECONDS`]. `route` is the matched
/// path template (`/api/v1/boards/{board_id}`), or `unmatched`, so label values stay bounded.
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: Prometheus text format. Unauthenticated and not in the OpenAPI document;
/// operators restrict it at the network.
pub(crate) async fn render(State(s): State<AppState>) -> Response {
    let body = (s.metrics)();
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], body).into_response()
}
