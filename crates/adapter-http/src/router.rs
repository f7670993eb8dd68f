//! The whole HTTP surface and its middleware stack.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::get;
use tower::ServiceBuilder;
use tower::util::option_layer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::{Modify as _, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::middleware::{DeadlineLayer, EdgeLayer, REQUEST_ID, not_found};
use crate::openapi::{ApiDoc, CommonProblems};
use crate::routes;
use crate::state::{AppContext, AppState, HttpSettings};
use crate::{idempotency, metrics, rate_limit};

/// Where the API's routes live.
pub(crate) const API_PREFIX: &str = "/api/v1";

/// The API routes, before state and middleware, and their finished documentation. The
/// document's modifiers run here, once every route has added its path (a modifier on the
/// derive would run before any path exists).
///
/// With `state`, the `/api/v1` routes get the rate limits and, inside them, the
/// `Idempotency-Key` middleware (the health probes stay outside both: each layer wraps every
/// route it covers). The idempotency middleware knows from the routes' own document which take
/// POST and PATCH, so that any other method is a 405 whatever key it carries.
pub(crate) fn api_router(state: Option<&AppState>) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut v1 = routes::api();
    if let Some(state) = state {
        let operations = Arc::new(idempotency::Operations::of(v1.get_openapi()));
        v1 = v1
            .layer(axum::middleware::from_fn_with_state((state.clone(), operations), idempotency::middleware))
            .layer(axum::middleware::from_fn_with_state(rate_limit::middleware_state(state), rate_limit::api));
    }
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(API_PREFIX, v1)
        .merge(routes::health::router())
        .split_for_parts();
    CommonProblems.modify(&mut doc);
    (router, doc)
}

/// The application: API, OpenAPI document, docs page, health, and the middleware stack.
///
/// Layers, outermost first: the edge (request id, span and access log, panics, problem rendering,
/// which must see every error including panics and timeouts, security headers, and HTTP metrics,
/// which see the final status), CORS, timeout. They are applied in one `layer` call: each call
/// wraps every route in a boxed service of its own, a clone and two allocations per request. `GET /metrics` is outside `/api/v1` and outside
/// the OpenAPI document, like `/docs` and the pages (`/login`, `/`, `/settings/tokens`).
///
/// There is no body-limit layer: every body is read through `extract::read_body`,
/// which applies the configured limit (a `DefaultBodyLimit` layer would put it into every
/// request's extensions; axum's extractors without one fall back to 2 MB, decision 0044).
pub fn router(context: AppContext) -> Router {
    let state = AppState::from(context);
    let settings = state.settings.clone();
    let (api, doc) = api_router(Some(&state));
    // The document is kept as the JSON it serializes to, made once, and the tree of values behind
    // it is dropped: the docs page would keep the tree and serialize it again for every request.
    let doc = Bytes::from(doc.to_json().expect("the OpenAPI document serializes"));
    let openapi_json = get(move || std::future::ready(([(header::CONTENT_TYPE, "application/json")], doc.clone())));
    // The docs page's assets are compiled into the binary (no CDN); it needs its own CSP.
    let docs = Router::from(SwaggerUi::new("/docs").config(Config::from("/api/v1/openapi.json"))).layer(
        SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
            ),
        ),
    );
    let pages = crate::pages::router(&state)
        .merge(crate::sso::router())
        .layer(axum::middleware::from_fn_with_state(rate_limit::middleware_state(&state), rate_limit::pages));
    api.route("/metrics", get(metrics::render))
        .route("/api/v1/openapi.json", openapi_json)
        .merge(pages)
        .with_state(state)
        .merge(docs)
        .fallback(not_found)
        .layer(
            ServiceBuilder::new()
                .layer(EdgeLayer::new(settings.secure_cookies))
                // Without allowed origins there is nothing for CORS to add: no layer at all then.
                .layer(option_layer((!settings.cors_origins.is_empty()).then(|| cors(&settings))))
                .layer(DeadlineLayer::new(settings.request_timeout)),
        )
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
            idempotency::IDEMPOTENCY_KEY,
            HeaderName::from_static(crate::auth::CSRF_HEADER),
            REQUEST_ID,
            HeaderName::from_static("traceparent"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            REQUEST_ID,
            idempotency::REPLAYED,
            rate_limit::POLICY,
            rate_limit::STATE,
        ])
}
