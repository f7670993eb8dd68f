//! The whole HTTP surface and its middleware stack.

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::{Router, middleware};
use std::time::Duration;
use tower::ServiceBuilder;
use tower::util::{MapResponseLayer, option_layer};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa::{Modify as _, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::metrics;
use crate::middleware::{REQUEST_ID, RequestId, edge, not_found};
use crate::openapi::{ApiDoc, CommonProblems};
use crate::routes;
use crate::state::{AppContext, AppState, HttpSettings};

/// The API routes, before state and middleware, and their finished documentation. The
/// document's modifiers run here, once every route has added its path (a modifier on the
/// derive would run before any path exists).
pub(crate) fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", routes::api())
        .merge(routes::health::router())
        .split_for_parts();
    CommonProblems.modify(&mut doc);
    (router, doc)
}

/// The application: API, OpenAPI document, docs page, health, and the middleware stack.
///
/// Layers, outermost first: the edge (request id, problem rendering, which must see every error
/// including panics and timeouts, and HTTP metrics, which see the final status), tracing,
/// security headers, panic catcher, CORS, timeout, body limit. `GET /metrics` is outside `/api/v1` and outside
/// the OpenAPI document, like `/docs` and the pages (`/login`, `/`, `/settings/tokens`).
pub fn router(context: AppContext) -> Router {
    let state = AppState::from(context);
    let settings = state.settings.clone();
    let (api, doc) = api_router();
    // The docs page's assets are compiled into the binary (no CDN); it needs its own CSP.
    let docs = Router::from(SwaggerUi::new("/docs").url("/api/v1/openapi.json", doc)).layer(
        SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
            ),
        ),
    );
    let hsts = settings.secure_cookies.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    let pages = crate::pages::router(&state);
    api.route("/metrics", axum::routing::get(metrics::render))
        .merge(pages)
        .merge(crate::sso::router())
        .with_state(state)
        .merge(docs)
        .fallback(not_found)
        // The body limit changes the request's body type, which the route must take back, so
        // it is a layer call of its own; the rest is one call. Each call wraps every route in a
        // boxed service of its own: ten of them cost a clone and two allocations per layer and
        // request.
        .layer((RequestBodyLimitLayer::new(settings.body_limit), DefaultBodyLimit::max(settings.body_limit)))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(edge))
                .layer(trace_layer())
                // Also turns the panic catcher's body back into axum's, which `edge` expects.
                .layer(MapResponseLayer::new(move |res: http::Response<_>| {
                    security_headers(res.map(axum::body::Body::new), hsts.as_ref())
                }))
                .layer(CatchPanicLayer::new())
                // Without allowed origins there is nothing for CORS to add: no layer at all then.
                .layer(option_layer((!settings.cors_origins.is_empty()).then(|| cors(&settings))))
                .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, settings.request_timeout)),
        )
}

/// The security headers every response carries unless its handler set them: one synchronous
/// layer instead of one per header (each layer is cloned and polled on every request).
fn security_headers(mut res: Response, hsts: Option<&HeaderValue>) -> Response {
    const DEFAULTS: [(HeaderName, &str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let headers = res.headers_mut();
    for (name, value) in DEFAULTS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if let Some(hsts) = hsts {
        headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert_with(|| hsts.clone());
    }
    res
}

/// Whether `route` is polled by machines rather than called by users: health probes (every few
/// seconds from each load balancer and orchestrator) and the metrics scrape. Their successful
/// answers are logged at DEBUG, so the access log at INFO holds the traffic that matters; they
/// are counted in the metrics like every route, and a failing probe is logged at INFO
/// (decision 0033).
fn is_probe(route: &str) -> bool {
    route.starts_with("/health/") || route == "/metrics"
}

type SpanMaker = fn(&Request) -> Span;
type OnResponse = fn(&Response, Duration, &Span);

fn trace_layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    SpanMaker,
    tower_http::trace::DefaultOnRequest,
    OnResponse,
> {
    fn make_span(req: &Request) -> Span {
        let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
        let request_id = req.extensions().get::<RequestId>().map_or("", RequestId::as_str);
        let trace_id = crate::auth::trace_id(req.headers());
        if is_probe(route) {
            tracing::debug_span!("http", method = %req.method(), route, request_id, trace_id)
        } else {
            tracing::info_span!("http", method = %req.method(), route, request_id, trace_id)
        }
    }
    fn on_response(res: &Response, latency: Duration, span: &Span) {
        let (status, latency_ms) = (res.status().as_u16(), latency.as_secs_f64() * 1000.0);
        let probe = span.metadata().is_some_and(|m| *m.level() == tracing::Level::DEBUG);
        if probe && res.status().is_success() {
            tracing::debug!(status, latency_ms, "response");
        } else {
            tracing::info!(status, latency_ms, "response");
        }
    }
    TraceLayer::new_for_http().make_span_with(make_span as SpanMaker).on_response(on_response as OnResponse)
}

fn cors(settings: &HttpSettings) -> CorsLayer {
    let origins: Vec<HeaderValue> = settings.cors_origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(crate::auth::CSRF_HEADER),
            HeaderName::from_static(REQUEST_ID),
            HeaderName::from_static("traceparent"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, HeaderName::from_static(REQUEST_ID)])
}
