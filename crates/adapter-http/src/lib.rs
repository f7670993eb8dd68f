//! Inbound adapter: the HTTP API (axum), its OpenAPI document, and the cross-cutting HTTP
//! conventions — problem+json errors, request ids, authentication, CSRF, pagination, ETags,
//! security headers, CORS, body limits and timeouts.

mod auth;
mod board_views;
mod error;
mod error_map;
mod extract;
#[cfg(test)]
mod handler_tests;
mod idempotency;
mod metrics;
mod middleware;
mod openapi;
mod pages;
mod pagination;
mod rate_limit;
mod router;
mod routes;
mod sso;
mod state;
mod trace;

pub use auth::{Auth, CSRF_HEADER};
pub use board_views::BoardViewCache;
pub use error::{ApiError, FieldError, Problem};
pub use metrics::{HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL, MetricsRender};
pub use openapi::openapi;
pub use rate_limit::RateLimits;
pub use router::router;
pub use state::{AppContext, AppState, HttpSettings, Readiness};
