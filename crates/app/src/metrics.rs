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

/// Installs the process's recorder, if it is not yet: before anything takes a handle on a
/// metric (a handle taken before is not recorded).
pub(crate) fn install() {
    handle();
}

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
        spawn_upkeep(handle.clone());
        handle
    })
}

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds histogram samples into buckets every [`UPKEEP_EVERY`] on a thread of its own. The
/// recorder keeps each sample until then: with folding only at scrape time, a process nobody
/// scrapes grew by 8 bytes per request (docs/performance.md). A thread rather than a task: the
/// recorder is process-wide and outlives any one runtime (tests start many).
fn spawn_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new().name("corkboard-metrics".into()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        }
    });
    if let Err(error) = started {
        tracing::warn!(%error, "no metrics upkeep thread; histograms are folded at scrape time only");
    }
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
