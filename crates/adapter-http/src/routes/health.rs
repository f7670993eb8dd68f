//! Liveness and readiness.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::middleware::KeepBody;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live)).routes(routes!(ready))
}

/// A health report.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok` or `unavailable`.
    #[schema(pattern = "^(ok|unavailable)$")]
    status: &'static str,
    /// Each dependency checked and its state (`ok`, or why not).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    checks: BTreeMap<&'static str, String>,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations", security(()),
    responses((status = 200, description = "Alive", body = Health)))]
async fn live() -> Response {
    let mut response = Response::new(Body::from(Bytes::from_static(ALIVE)));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The liveness report, `Health` with status `ok`: it never changes, so it is not serialised for
/// every probe.
const ALIVE: &[u8] = br#"{"status":"ok"}"#;

/// The instance can serve traffic: the database (and Redis, when configured) answered in time,
/// and the instance is not shutting down.
#[utoipa::path(get, path = "/health/ready", tag = "operations", security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready; `checks` says why", body = Health)))]
async fn ready(State(s): State<AppState>) -> Response {
    let results = s.readiness.check().await;
    let ok = results.iter().all(|(_, r)| r.is_ok());
    let checks = results.into_iter().map(|(name, r)| (name, r.err().unwrap_or_else(|| "ok".to_owned()))).collect();
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut response =
        (status, axum::Json(Health { status: if ok { "ok" } else { "unavailable" }, checks })).into_response();
    response.extensions_mut().insert(KeepBody);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_liveness_report_is_the_health_report_of_a_live_process() {
        let live = Health { status: "ok", checks: BTreeMap::new() };
        assert_eq!(serde_json::to_vec(&live).unwrap(), ALIVE);
    }
}
