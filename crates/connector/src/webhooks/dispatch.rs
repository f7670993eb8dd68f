//! The delivery worker's use cases: fan events out of the outbox into deliveries, and make
//! the attempts that are due.
//!
//! Fan-out takes a batch of events out of the outbox and queues one delivery per webhook that
//! wants each event and whose owner may see it, in one transaction: an event leaves the
//! outbox exactly when its deliveries are queued. Delivery claims due deliveries under a
//! lease, sends them concurrently, and records each attempt with what follows from it: done,
//! the next attempt (exponential backoff with jitter, for about a day), or giving up, which
//! turns the webhook off when it has not succeeded since the round began.
//! Delivery is at least once: a receiver recognises a repeat by its `webhook-id`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt as _;
use kernel::{Actor, Changes, Clock, DeliveryId, DomainEvent, IdGen, RequestMeta};
use serde_json::json;

use super::error::WebhookError;
use super::model::{AfterAttempt, Attempt, DueDelivery, FinishedAttempt, NewDelivery, OutboxEvent, Subscriber};
use super::ports::{DeliveryQueue, Outgoing, Sent, WebhookSender};
use super::retry::next_attempt;
use super::signing::sign;

/// Deliveries deleted per statement when pruning.
const PRUNE_BATCH: u32 = 1000;

/// How the worker paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatchSettings {
    /// Events fanned out, and deliveries claimed, per tick.
    pub batch_size: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery is held; longer than a request may take.
    pub lease: Duration,
}

/// What one delivery tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Attempts that succeeded.
    pub succeeded: usize,
    /// Attempts that failed (retried later or given up).
    pub failed: usize,
    /// Webhooks turned off for persistent failure.
    pub disabled: usize,
}

/// Fans out and delivers; the worker (in `app`) ticks it, tests call it with a manual clock.
pub struct Dispatcher {
    queue: Arc<dyn DeliveryQueue>,
    sender: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    settings: DispatchSettings,
}

impl Dispatcher {
    /// A dispatcher over its ports.
    pub fn new(
        queue: Arc<dyn DeliveryQueue>,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
        settings: DispatchSettings,
    ) -> Self {
        let settings = DispatchSettings {
            batch_size: settings.batch_size.max(1),
            concurrency: settings.concurrency.max(1),
            ..settings
        };
        Self { queue, sender, clock, ids, settings }
    }

    /// The settings in force.
    pub const fn settings(&self) -> DispatchSettings {
        self.settings
    }

    /// Fans one batch of events out of the outbox; returns how many events it took.
    ///
    /// # Errors
    /// A store failure; nothing of the batch is then kept.
    #[tracing::instrument(level = "debug", skip_all, err(level = "warn"))]
    pub async fn relay(&self) -> Result<usize, WebhookError> {
        let tx = self.queue.begin_relay().await?;
        let events = tx.take(self.settings.batch_size).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let mut boards: Vec<_> = events.iter().filter_map(|e| e.board_id).collect();
        boards.sort_unstable();
        boards.dedup();
        let subscribers = tx.subscribers(boards).await?;
        let deliveries = plan(&events, &subscribers, self.clock.now(), || DeliveryId::from_uuid(self.ids.new_id()));
        if !deliveries.is_empty() {
            tx.queue(deliveries).await?;
        }
        tx.commit().await?;
        Ok(events.len())
    }

    /// Deletes deliveries that are done and older than `retention`, with their attempts, a
    /// batch at a time; returns how many. Pending deliveries are kept whatever their age.
    ///
    /// # Errors
    /// A store failure; what was deleted before it stays deleted.
    #[tracing::instrument(level = "debug", skip_all, err(level = "warn"))]
    pub async fn prune(&self, retention: Duration) -> Result<u64, WebhookError> {
        let before = self.clock.now() - retention;
        let mut removed = 0;
        loop {
            let batch = self.queue.prune(before, PRUNE_BATCH).await?;
            removed += batch;
            if batch < u64::from(PRUNE_BATCH) {
                return Ok(removed);
            }
        }
    }

    /// Makes one batch of due attempts.
    ///
    /// # Errors
    /// A store failure claiming the batch; a failure recording one attempt is logged, and that
    /// delivery comes due again when its lease ends.
    #[tracing::instrument(level = "debug", skip_all, err(level = "warn"))]
    pub async fn deliver(&self) -> Result<DeliveryReport, WebhookError> {
        let now = self.clock.now();
        let due = self.queue.claim_due(now, now + self.settings.lease, self.settings.batch_size).await?;
        let mut report = DeliveryReport { claimed: due.len(), ..DeliveryReport::default() };
        let mut finished =
            futures::stream::iter(due).map(|d| self.attempt(d)).buffer_unordered(self.settings.concurrency);
        while let Some(done) = finished.next().await {
            if done.attempt.succeeded() {
                report.succeeded += 1;
            } else {
                report.failed += 1;
            }
            let disabled = done.disable.is_some();
            match self.queue.finish(&done).await {
                Ok(()) => report.disabled += usize::from(disabled),
                Err(error) => tracing::warn!(
                    %error,
                    delivery_id = %done.attempt.delivery_id,
                    "recording a webhook attempt failed; the delivery comes due again"
                ),
            }
        }
        Ok(report)
    }

    /// Sends one delivery and decides what follows.
    async fn attempt(&self, due: DueDelivery) -> FinishedAttempt {
        let delivery = &due.delivery;
        let message_id = delivery.id.to_string();
        let started = Instant::now();
        let sent_at = self.clock.now();
        let sent = match sign(&due.secret, &message_id, sent_at.timestamp(), &delivery.body) {
            Ok(signature) => {
                let request = Outgoing {
                    url: due.url.clone(),
                    headers: vec![
                        ("webhook-id", message_id),
                        ("webhook-timestamp", sent_at.timestamp().to_string()),
                        ("webhook-signature", signature),
                    ],
                    body: delivery.body.clone(),
                    traceparent: due.traceparent.clone(),
                };
                self.sender.send(&request).await
            }
            Err(why) => Sent::Failed(format!("the webhook's secret cannot sign: {why}")),
        };
        let (status_code, error) = match sent {
            Sent::Answered(code) => (Some(code), None),
            Sent::Failed(why) => (None, Some(why)),
        };
        let attempt = Attempt {
            id: self.ids.new_id(),
            delivery_id: delivery.id,
            attempted_at: sent_at,
            status_code,
            error,
            duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
        };
        let finished_at = self.clock.now();
        let next = if attempt.succeeded() {
            AfterAttempt::Succeeded
        } else {
            match next_attempt(finished_at, delivery.round_started_at, rand::random()) {
                Some(at) => AfterAttempt::RetryAt(at),
                None => AfterAttempt::GaveUp,
            }
        };
        // Persistent failure: a round ran out and nothing succeeded since it began.
        let disable = (next == AfterAttempt::GaveUp
            && due.failing_since.is_none_or(|since| since <= delivery.round_started_at))
        .then(|| {
            let reason = format!(
                "turned off at {}: every attempt failed since {}",
                finished_at.to_rfc3339(),
                due.failing_since.unwrap_or(delivery.round_started_at).to_rfc3339()
            );
            let event = DomainEvent {
                id: self.ids.new_id(),
                occurred_at: finished_at,
                actor: Actor::System,
                action: "webhook.disabled",
                resource_type: "webhook",
                resource_id: delivery.webhook_id.as_uuid(),
                board_id: None,
                changes: Changes::new().diff("active", true, false).set("disabled_reason", reason.as_str()),
                meta: RequestMeta::default(),
            };
            (reason, event)
        });
        FinishedAttempt { attempt, webhook_id: delivery.webhook_id, next, disable }
    }
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// The deliveries to queue for `events`: one per event and subscriber that wants the event's
/// type and whose owner may see it (an administrator sees every event; others the events of
/// their boards and of their own doing, as in the event feed).
pub fn plan(
    events: &[OutboxEvent],
    subscribers: &[Subscriber],
    now: DateTime<Utc>,
    mut new_id: impl FnMut() -> DeliveryId,
) -> Vec<NewDelivery> {
    let mut deliveries = Vec::new();
    for event in events {
        let mut body = None;
        for s in subscribers {
            let visible = s.owner_is_admin
                || event.actor_id == Some(s.owner_id)
                || event.board_id.is_some_and(|b| s.boards.contains(&b));
            if !visible || !s.event_types.matches(&event.action) {
                continue;
            }
            let body = body.get_or_insert_with(|| payload(event)).clone();
            deliveries.push(NewDelivery {
                id: new_id(),
                webhook_id: s.webhook_id,
                event_id: event.id,
                event_type: event.action.clone(),
                body,
                created_at: now,
                traceparent: event.traceparent.clone(),
            });
        }
    }
    deliveries
}

/// The body of an event's deliveries, in the Standard Webhooks shape: `type`, `timestamp` and
/// `data`, which holds the event exactly as the event feed serves it.
pub fn payload(event: &OutboxEvent) -> String {
    json!({
        "type": event.action,
        "timestamp": event.occurred_at,
        "data": {
            "id": event.id,
            "occurred_at": event.occurred_at,
            "actor_id": event.actor_id.map(|u| u.as_uuid()),
            "type": event.action,
            "resource_type": event.resource_type,
            "resource_id": event.resource_id,
            "board_id": event.board_id.map(|b| b.as_uuid()),
            "changes": event.changes,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests;
