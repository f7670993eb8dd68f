//! Background workers of the server process, on when `workers` is (the default;
//! `CORKBOARD_WORKERS=false` turns them off for an instance). Today: the reminder scheduler.
//!
//! The scheduler worker calls [`Scheduler::tick_report`] every `reminders.poll_interval_ms`. A tick
//! that used its whole batch (reminders fired or parked) is followed by another at once
//! (catching up after downtime); a failed tick is logged and retried at the next interval.
//! Cancelling the token stops the loop between ticks: a tick in progress finishes (and commits)
//! first, so stopping never leaves a half-done unit of work. Several instances may run the worker at once: ticks claim disjoint
//! batches on PostgreSQL and occurrence records make each firing happen once in effect.
//!
//! Metrics: `reminders_fired_total` (counter), `reminders_parked_total` (counter: due reminders
//! whose stored row could not be read, taken out of the queue),
//! `reminder_ticks_total{outcome="ok|error"}` (counter), `reminder_tick_duration_seconds`
//! (histogram) and `reminder_lateness_seconds` (histogram: each firing's fire time minus due
//! time).

use std::sync::Arc;
use std::time::Duration;

use reminders::Scheduler;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

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
        while !stop.is_cancelled() {
            let started = std::time::Instant::now();
            let result = scheduler.tick_report().await;
            metrics::histogram!("reminder_tick_duration_seconds").record(started.elapsed().as_secs_f64());
            let outcome = if result.is_ok() { "ok" } else { "error" };
            metrics::counter!("reminder_ticks_total", "outcome" => outcome).increment(1);
            let again = match result {
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
            };
            if again {
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
        tracing::info!("reminder worker stopped");
    })
}
