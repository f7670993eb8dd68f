//! Background workers of the server process, on when `workers` is (the default;
//! `CORKBOARD_WORKERS=false` turns them off for an instance): the reminder scheduler, the
//! audit log's sealer and the webhook dispatcher. Several instances may run them at once:
//! scheduler ticks claim disjoint batches on PostgreSQL and occurrence records make each
//! firing happen once in effect; sealings take turns under an advisory lock; fan-outs take
//! disjoint outbox rows and deliveries are claimed under leases.
//!
//! Each worker ticks every interval; a tick that used its whole batch is followed by another at
//! once (catching up after downtime or a burst); a failed tick is logged and retried at the
//! next interval. Cancelling the token stops the loop between ticks: a tick in progress
//! finishes (and commits) first, so stopping never leaves a half-done unit of work. A tick's
//! span is at DEBUG: at INFO each tick, also an idle one, would be an exported trace of its own
//! every second (decision 0051).
//!
//! Metrics: `reminders_fired_total` (counter), `reminders_parked_total` (counter: due reminders
//! whose stored row could not be read, taken out of the queue),
//! `reminder_ticks_total{outcome="ok|error"}` (counter), `reminder_tick_duration_seconds`
//! (histogram), `reminder_lateness_seconds` (histogram: each firing's fire time minus due
//! time); `audit_events_sealed_total`, `audit_seal_ticks_total{outcome}` and
//! `audit_events_pruned_total` (counters); `webhook_events_relayed_total`,
//! `webhook_attempts_total{outcome="succeeded|failed"}`, `webhooks_disabled_total`,
//! `webhook_deliveries_pruned_total` and `webhook_ticks_total{outcome}` (counters).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use audit::Sealer;
use connector::webhooks::Dispatcher;
use reminders::Scheduler;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Runs `tick` every `interval` until `stop` is cancelled; a tick that returns `true` (more
/// work waiting) is followed by the next one at once.
async fn every<F: Future<Output = bool>>(interval: Duration, stop: CancellationToken, mut tick: impl FnMut() -> F) {
    while !stop.is_cancelled() {
        if tick().await {
            continue;
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// A count for a metric.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Counts one tick of a worker under `outcome="ok|error"`.
fn count_tick(name: &'static str, ok: bool) {
    metrics::counter!(name, "outcome" => if ok { "ok" } else { "error" }).increment(1);
}

/// Starts the scheduler worker; it runs until `stop` is cancelled.
pub(crate) fn spawn_scheduler(
    scheduler: Arc<Scheduler>,
    interval: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        tracing::info!(
            interval_ms = interval.as_millis(),
            batch_size = scheduler.batch_size(),
            "reminder worker started"
        );
        every(interval, stop, || async {
            let started = std::time::Instant::now();
            let result = scheduler.tick_report().await;
            metrics::histogram!("reminder_tick_duration_seconds").record(started.elapsed().as_secs_f64());
            count_tick("reminder_ticks_total", result.is_ok());
            match result {
                Ok(report) => {
                    let fired = report.fired();
                    for late in &report.lateness {
                        let seconds = late.to_std().map_or(0.0, |d| d.as_secs_f64());
                        metrics::histogram!("reminder_lateness_seconds").record(seconds);
                    }
                    metrics::counter!("reminders_fired_total").increment(u64::try_from(fired).unwrap_or(u64::MAX));
                    metrics::counter!("reminders_parked_total")
                        .increment(u64::try_from(report.parked).unwrap_or(u64::MAX));
                    if fired > 0 {
                        tracing::debug!(fired, "reminders fired");
                    }
                    report.filled(scheduler.batch_size())
                }
                Err(error) => {
                    tracing::warn!(%error, "reminder tick failed; retrying at the next interval");
                    false
                }
            }
        })
        .await;
        tracing::info!("reminder worker stopped");
    })
}

/// How often the sealer looks for seals past the retention window.
const PRUNE_EVERY: Duration = Duration::from_mins(1);

/// Whether a minute has passed since the last pruning (then it counts as begun).
fn prune_due(pruned_at: &std::sync::Mutex<Option<std::time::Instant>>) -> bool {
    let mut at = pruned_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let due = at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
    if due {
        *at = Some(std::time::Instant::now());
    }
    due
}

/// Starts the audit sealer, which also removes events past `retention` (checked every
/// minute); it runs until `stop` is cancelled.
pub(crate) fn spawn_sealer(
    sealer: Arc<Sealer>,
    interval: Duration,
    retention: Option<chrono::Duration>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        tracing::info!(
            interval_ms = interval.as_millis(),
            batch_size = sealer.batch_size(),
            retention_days = retention.map(|r| r.num_days()),
            "audit sealer started"
        );
        let pruned_at = std::sync::Mutex::new(None::<std::time::Instant>);
        let (sealer, pruned_at) = (&sealer, &pruned_at);
        every(interval, stop, || async move {
            if let Some(retention) = retention
                && prune_due(pruned_at)
                && let Ok(removed) = sealer.prune(retention).await
            {
                metrics::counter!("audit_events_pruned_total").increment(removed);
            }
            let result = sealer.seal_pending().await;
            count_tick("audit_seal_ticks_total", result.is_ok());
            match result {
                Ok(report) => {
                    metrics::counter!("audit_events_sealed_total").increment(report.sealed);
                    report.filled(sealer.batch_size())
                }
                Err(error) => {
                    tracing::warn!(%error, "sealing the audit log failed; retrying at the next interval");
                    false
                }
            }
        })
        .await;
        tracing::info!("audit sealer stopped");
    })
}

/// Starts the webhook dispatcher: each tick fans a batch of events out of the outbox, then
/// makes a batch of due attempts; done deliveries older than `retention` are removed (checked
/// every minute). It runs until `stop` is cancelled.
pub(crate) fn spawn_dispatcher(
    dispatcher: Arc<Dispatcher>,
    interval: Duration,
    retention: Option<chrono::Duration>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let settings = dispatcher.settings();
        tracing::info!(
            interval_ms = interval.as_millis(),
            batch_size = settings.batch_size,
            concurrency = settings.concurrency,
            "webhook dispatcher started"
        );
        let batch = usize::try_from(settings.batch_size).unwrap_or(usize::MAX);
        let pruned_at = std::sync::Mutex::new(None::<std::time::Instant>);
        let (dispatcher, pruned_at) = (&dispatcher, &pruned_at);
        every(interval, stop, || async move {
            if let Some(retention) = retention
                && prune_due(pruned_at)
                && let Ok(removed) = dispatcher.prune(retention).await
            {
                metrics::counter!("webhook_deliveries_pruned_total").increment(removed);
            }
            let relayed = dispatcher.relay().await;
            let delivered = dispatcher.deliver().await;
            count_tick("webhook_ticks_total", relayed.is_ok() && delivered.is_ok());
            let mut more = false;
            match relayed {
                Ok(taken) => {
                    metrics::counter!("webhook_events_relayed_total").increment(count(taken));
                    more |= taken >= batch;
                }
                Err(error) => {
                    tracing::warn!(%error, "fanning events out to webhooks failed; retrying at the next interval");
                }
            }
            match delivered {
                Ok(report) => {
                    metrics::counter!("webhook_attempts_total", "outcome" => "succeeded")
                        .increment(count(report.succeeded));
                    metrics::counter!("webhook_attempts_total", "outcome" => "failed").increment(count(report.failed));
                    metrics::counter!("webhooks_disabled_total").increment(count(report.disabled));
                    more |= report.claimed >= batch;
                }
                Err(error) => {
                    tracing::warn!(%error, "claiming webhook deliveries failed; retrying at the next interval");
                }
            }
            more
        })
        .await;
        tracing::info!("webhook dispatcher stopped");
    })
}
