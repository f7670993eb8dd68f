//! HTTP metrics: every request counted and timed by route template (measured by
//! [`crate::middleware::Edge`]), and the `GET /metrics` endpoint. This crate only records
//! through the `metrics` facade; the exporter (Prometheus) is chosen and installed by the
//! composition root, which hands in a render function ([`MetricsRender`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram, SharedString};

use crate::state::AppState;

/// Renders the process's metrics in the Prometheus text exposition format (version 0.0.4).
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// Counter of answered requests, by `method`, `route` (template) and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
/// Histogram of request durations in seconds, by `method` and `route` (template).
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";

/// The handles [`Measured`] records through, kept per route template and method once
/// registered: registering by labels builds, hashes and compares a three-label key and copies the
/// route into it on every request (3 % of a health probe's CPU; decision 0039). Bounded by the
/// routes served times [`KEPT_METHODS`]; requests with another method register theirs each time.
#[derive(Debug, Default)]
pub(crate) struct RequestMetrics {
    // foldhash rather than the standard SipHash: a route template is hashed on every request, and
    // its text comes from our own route table, not from clients (decision 0043).
    routes: RwLock<HashMap<Box<str>, Arc<RouteHandles>, foldhash::fast::RandomState>>,
}

/// The methods whose handles are kept.
const KEPT_METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PATCH, Method::DELETE, Method::PUT];

/// The statuses Corkboard answers with: their label is static text and their counters are kept.
const STATUSES: [&str; 16] =
    ["200", "201", "204", "302", "303", "304", "400", "401", "403", "404", "409", "412", "413", "422", "500", "503"];

/// One route template's handles, by method (index in [`KEPT_METHODS`]), each registered on
/// first use.
#[derive(Debug)]
struct RouteHandles {
    route: SharedString,
    by_method: [OnceLock<MethodHandles>; KEPT_METHODS.len()],
}

impl RouteHandles {
    /// The handles of the method at index `i` of [`KEPT_METHODS`].
    fn method(&self, i: usize) -> &MethodHandles {
        self.by_method[i].get_or_init(|| {
            let labels =
                Labels { method: SharedString::const_str(KEPT_METHODS[i].as_str()), route: self.route.clone() };
            MethodHandles { duration: labels.duration(), labels, answered: Default::default() }
        })
    }
}

/// One route and method's duration histogram and, registered on first use, its counter for each
/// of [`STATUSES`].
#[derive(Debug)]
struct MethodHandles {
    labels: Labels,
    duration: Histogram,
    answered: [OnceLock<Counter>; STATUSES.len()],
}

/// The `method` and `route` labels.
#[derive(Debug)]
struct Labels {
    method: SharedString,
    route: SharedString,
}

impl Labels {
    fn duration(&self) -> Histogram {
        metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => self.method.clone(), "route" => self.route.clone())
    }

    fn answered(&self, status: SharedString) -> Counter {
        let (method, route) = (self.method.clone(), self.route.clone());
        metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method, "route" => route, "status" => status)
    }
}

impl RequestMetrics {
    /// The kept handles of `route` (registering them on first use).
    fn route(&self, route: &str) -> Arc<RouteHandles> {
        // Nothing panics while either lock is held; a poisoned map is still a valid one.
        if let Some(kept) = self.routes.read().unwrap_or_else(PoisonError::into_inner).get(route) {
            return Arc::clone(kept);
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        let kept = routes.entry(route.into()).or_insert_with(|| {
            let route = SharedString::from_owned(route.to_owned());
            Arc::new(RouteHandles { route, by_method: Default::default() })
        });
        Arc::clone(kept)
    }
}

/// One request being measured for [`HTTP_REQUESTS_TOTAL`] and
/// [`HTTP_REQUEST_DURATION_SECONDS`]. Its `route` label is the matched path template
/// (`/api/v1/boards/{board_id}`), or `unmatched`, so label values stay bounded.
pub(crate) struct Measured {
    started: Instant,
    handles: Handles,
}

/// Where a request's measurements go.
enum Handles {
    /// A route's kept handles, for the method at this index of [`KEPT_METHODS`].
    Kept(Arc<RouteHandles>, usize),
    /// Registered when the request ends (a method whose handles are not kept).
    Each(Labels),
}

impl Measured {
    /// Starts measuring `req`.
    pub(crate) fn start(req: &Request, metrics: &RequestMetrics) -> Self {
        let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
        let handles = match KEPT_METHODS.iter().position(|m| m == req.method()) {
            Some(i) => Handles::Kept(metrics.route(route), i),
            None => Handles::Each(Labels {
                method: SharedString::from_owned(req.method().as_str().to_owned()),
                route: SharedString::from_owned(route.to_owned()),
            }),
        };
        Self { started: Instant::now(), handles }
    }

    /// Records the request, answered with `status`; returns how long it took.
    pub(crate) fn finish(self, status: StatusCode) -> Duration {
        let took = self.started.elapsed();
        let seconds = took.as_secs_f64();
        let known = STATUSES.iter().position(|s| s.as_bytes() == status.as_str().as_bytes());
        let status = || {
            known.map_or_else(
                || SharedString::from_owned(status.as_str().to_owned()),
                |k| SharedString::const_str(STATUSES[k]),
            )
        };
        match self.handles {
            Handles::Kept(route, i) => {
                let handles = route.method(i);
                handles.duration.record(seconds);
                match known {
                    Some(k) => handles.answered[k].get_or_init(|| handles.labels.answered(status())).increment(1),
                    None => handles.labels.answered(status()).increment(1),
                }
            }
            Handles::Each(labels) => {
                labels.duration().record(seconds);
                labels.answered(status()).increment(1);
            }
        }
        took
    }
}

/// `GET /metrics`: Prometheus text format. Unauthenticated and not in the OpenAPI document;
/// operators restrict it at the network.
pub(crate) async fn render(State(s): State<AppState>) -> Response {
    let body = (s.metrics)();
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], body).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use tower::ServiceExt as _;

    use super::*;
    use crate::middleware::EdgeLayer;

    /// `(name, labels as "k=v" sorted and joined, count)` of every recorded value.
    fn recorded(recorder: &DebuggingRecorder) -> Vec<(String, String, usize)> {
        let mut out: Vec<_> = recorder
            .snapshotter()
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let mut labels: Vec<String> =
                    key.key().labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
                labels.sort();
                let count = match value {
                    DebugValue::Counter(n) => usize::try_from(n).unwrap_or(usize::MAX),
                    DebugValue::Histogram(samples) => samples.len(),
                    DebugValue::Gauge(_) => 0,
                };
                (key.key().name().to_owned(), labels.join(","), count)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn requests_are_counted_and_timed_by_route_template_method_and_status() -> anyhow::Result<()> {
        let app = Router::new()
            .route("/things/{id}", get(|| async { "ok" }).post(|| async { StatusCode::CONFLICT }))
            .layer(EdgeLayer::new(false));
        let recorder = DebuggingRecorder::new();
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let requests = [
                    (Method::GET, "/things/1"),
                    (Method::GET, "/things/2"),
                    (Method::POST, "/things/3"),
                    (Method::GET, "/elsewhere"),
                    // Not a kept method: registered for the request.
                    (Method::HEAD, "/things/4"),
                ];
                for (method, path) in requests {
                    app.clone().oneshot(Request::builder().method(method).uri(path).body(Body::empty())?).await?;
                }
                anyhow::Ok(())
            })
        })?;
        let counted = |labels: &str, n| (HTTP_REQUESTS_TOTAL.to_owned(), labels.to_owned(), n);
        let timed = |labels: &str, n| (HTTP_REQUEST_DURATION_SECONDS.to_owned(), labels.to_owned(), n);
        let mut expected = vec![
            timed("method=GET,route=/things/{id}", 2),
            timed("method=POST,route=/things/{id}", 1),
            timed("method=GET,route=unmatched", 1),
            timed("method=HEAD,route=/things/{id}", 1),
            counted("method=GET,route=/things/{id},status=200", 2),
            counted("method=POST,route=/things/{id},status=409", 1),
            counted("method=GET,route=unmatched,status=404", 1),
            counted("method=HEAD,route=/things/{id},status=200", 1),
        ];
        expected.sort();
        assert_eq!(recorded(&recorder), expected);
        Ok(())
    }
}
