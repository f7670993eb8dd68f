//! HTTP metrics: every request counted and timed by route template (measured by
//! [`crate::middleware::Edge`]), and the `GET /metrics` endpoint. This crate only records
//! through the `metrics` facade; the exporter (Prometheus) is chosen and installed by the
//! composition root, which hands in a render function ([`MetricsRender`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics::SharedString;

use crate::state::AppState;

/// Renders the process's metrics in the Prometheus text exposition format (version 0.0.4).
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// Counter of answered requests, by `method`, `route` (template) and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
/// Histogram of request durations in seconds, by `method` and `route` (template).
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";

/// One request being measured for [`HTTP_REQUESTS_TOTAL`] and
/// [`HTTP_REQUEST_DURATION_SECONDS`]. `route` is the matched path template
/// (`/api/v1/boards/{board_id}`), or `unmatched`, so label values stay bounded.
pub(crate) struct Measured {
    started: Instant,
    method: SharedString,
    route: SharedString,
}

impl Measured {
    /// Starts measuring `req`.
    pub(crate) fn start(req: &Request) -> Self {
        let method = match *req.method() {
            Method::GET => SharedString::const_str("GET"),
            Method::POST => SharedString::const_str("POST"),
            Method::PATCH => SharedString::const_str("PATCH"),
            Method::DELETE => SharedString::const_str("DELETE"),
            Method::PUT => SharedString::const_str("PUT"),
            ref other => SharedString::from_owned(other.as_str().to_owned()),
        };
        let route = req
            .extensions()
            .get::<MatchedPath>()
            // Shared: the counter and the histogram each take a copy.
            .map_or(SharedString::const_str("unmatched"), |p| SharedString::from_shared(Arc::from(p.as_str())));
        Self { started: Instant::now(), method, route }
    }

    /// Records the request, answered with `status`; returns how long it took.
    pub(crate) fn finish(self, status: StatusCode) -> Duration {
        let Self { started, method, route } = self;
        let took = started.elapsed();
        let status = status_label(status);
        metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method.clone(), "route" => route.clone(), "status" => status)
            .increment(1);
        metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => method, "route" => route)
            .record(took.as_secs_f64());
        took
    }
}

/// The `status` label: the statuses Corkboard answers with are static text, any other is copied.
fn status_label(status: StatusCode) -> SharedString {
    const COMMON: [&str; 16] = [
        "200", "201", "204", "302", "303", "304", "400", "401", "403", "404", "409", "412", "413", "422", "500", "503",
    ];
    COMMON
        .iter()
        .find(|s| s.as_bytes() == status.as_str().as_bytes())
        .map_or_else(|| SharedString::from_owned(status.as_str().to_owned()), |s| SharedString::const_str(s))
}

/// `GET /metrics`: Prometheus text format. Unauthenticated and not in the OpenAPI document;
/// operators restrict it at the network.
pub(crate) async fn render(State(s): State<AppState>) -> Response {
    let body = (s.metrics)();
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], body).into_response()
}
