//! The metrics exporter: a Prometheus recorder installed once per process (tests start many
//! apps in one process, so it is installed lazily and its handle reused), and the render
//! function handed to the HTTP layer for `GET /metrics`.
//!
//! Metrics recorded: `http_requests_total{method,route,status}` and
//! `http_request_duration_seconds{method,route}` (adapter-http), `reminders_fired_total`,
//! `reminder_ticks_total{outcome}` and `reminder_tick_duration_seconds` (the scheduler worker),
//! `db_pool_connections{state="idle|in_use"}` (refreshed on each scrape), `db_statements_total`
//! (adapter-sea-orm, every statement SeaORM runs).

use std::sync::{Arc, OnceLock};

use adapter_http::MetricsRender;
use adapter_sea_orm::Db;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Histogram buckets, in seconds (request latency and tick duration).
const BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process's Prometheus handle, installing the recorder on first use. If another recorder
/// is already installed (not ours), ours still renders, but empty.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets(BUCKETS) {
            Ok(b) => b,
            Err(error) => unreachable!("constant buckets are valid: {error}"),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "a metrics recorder was already installed; /metrics will be empty");
        }
        handle
    })
}

/// The render function for `GET /metrics`: refreshes the pool gauges, then renders.
pub(crate) fn render(db: Db) -> MetricsRender {
    let handle = handle();
    Arc::new(move || {
        if let Some((open, idle)) = db.pool_usage() {
            metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
            metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(open.saturating_sub(idle)));
        }
        handle.run_upkeep();
        handle.render()
    })
}
