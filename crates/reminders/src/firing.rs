//! The scheduler's use case: one tick fires every due occurrence of a batch of reminders.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use kernel::{Actor, Changes, Clock, DomainEvent, IdGen, NotificationId, RequestMeta};

use crate::error::ReminderError;
use crate::model::Notification;
use crate::ports::{Claim, FiringStore};
use crate::scheduler::due_occurrence;

/// Fires due reminders. The worker loop (in `app`) calls [`Scheduler::tick`] periodically;
/// tests call it directly with a manual clock.
///
/// One tick is one unit of work: claim up to `batch_size` due reminders; for each, fire every
/// occurrence due by now (missed ones after downtime come out one by one, each late), each time
/// recording the occurrence under its unique `(reminder_id, due_at)` key and, only when that
/// record is new, a notification and a `reminder.fired` event; then store the reminder moved on
/// to its next occurrence in its own time zone; commit. A due row the store cannot read is
/// parked (taken out of the queue) and logged, so that it cannot block the others. An occurrence
/// that was recorded before (another instance, or an earlier attempt that did commit) notifies
/// nobody again, so a firing happens once in effect. A failed tick rolls back and changes
/// nothing.
pub struct Scheduler {
    store: Arc<dyn FiringStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    batch_size: u64,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// For each occurrence fired, how long after its due time it fired.
    pub lateness: Vec<chrono::Duration>,
    /// How many due reminders could not be read and were parked (taken out of the queue).
    pub parked: usize,
}

impl TickReport {
    /// How many occurrences fired.
    pub fn fired(&self) -> usize {
        self.lateness.len()
    }

    /// Whether the tick used its whole batch, so that more may be due at once.
    pub fn filled(&self, batch_size: u64) -> bool {
        u64::try_from(self.fired() + self.parked).is_ok_and(|n| n >= batch_size)
    }
}

impl Scheduler {
    /// A scheduler claiming up to `batch_size` reminders (and firing at most that many
    /// occurrences) per tick.
    pub fn new(store: Arc<dyn FiringStore>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGen>, batch_size: u64) -> Self {
        Self { store, clock, ids, batch_size: batch_size.max(1) }
    }

    /// How many occurrences a tick fires at most; a tick that fired this many may have left
    /// work for the next one at once.
    pub const fn batch_size(&self) -> u64 {
        self.batch_size
    }

    /// Fires what is due now; returns how many occurrences fired (were newly recorded).
    ///
    /// # Errors
    /// A store failure; nothing of the tick is then kept, and the next tick tries again.
    pub async fn tick(&self) -> Result<usize, ReminderError> {
        Ok(self.tick_report().await?.fired())
    }

    /// Fires what is due now; reports each firing's lateness (fire time minus due time).
    ///
    /// # Errors
    /// A store failure; nothing of the tick is then kept, and the next tick tries again.
    #[tracing::instrument(level = "debug", skip_all, err(level = "warn"))]
    pub async fn tick_report(&self) -> Result<TickReport, ReminderError> {
        let now = self.clock.now();
        let tx = self.store.begin_firing().await?;
        let Claim { due, unreadable } = tx.claim_due(now, self.batch_size).await?;
        if due.is_empty() && unreadable.is_empty() {
            return Ok(TickReport::default());
        }
        let mut report = TickReport { parked: unreadable.len(), ..TickReport::default() };
        // A row nobody can read would be claimed first by every tick: it goes out of the queue,
        // loudly, and the others fire.
        for (reminder_id, reason) in unreadable {
            tracing::error!(%reminder_id, %reason, "due reminder cannot be read; parked until its row is fixed");
            tx.park(reminder_id).await?;
        }
        let mut budget = self.batch_size;
        for original in due {
            let mut reminder = original.clone();
            while budget > 0
                && let Some(occurrence) = due_occurrence(&reminder, now)
            {
                budget -= 1;
                if tx.insert_occurrence(&occurrence, now).await? {
                    report.lateness.push(now - occurrence.due_at);
                    if occurrence.late {
                        tracing::info!(
                            reminder_id = %reminder.id,
                            due_at = %occurrence.due_at,
                            lateness_secs = (now - occurrence.due_at).num_seconds(),
                            "reminder fired late"
                        );
                    }
                    let notification = Notification {
                        id: NotificationId::from_uuid(self.ids.new_id()),
                        user_id: reminder.owner_id,
                        reminder_id: Some(reminder.id),
                        title: reminder.title.as_str().to_owned(),
                        body: reminder.body.as_str().to_owned(),
                        due_at: occurrence.due_at,
                        late: occurrence.late,
                        read_at: None,
                        created_at: now,
                    };
                    tx.insert_notification(&notification).await?;
                    let event = DomainEvent {
                        id: self.ids.new_id(),
                        occurred_at: now,
                        actor: Actor::System,
                        action: "reminder.fired",
                        resource_type: "reminder",
                        resource_id: reminder.id.as_uuid(),
                        board_id: None,
                        changes: Changes::new()
                            .set("due_at", occurrence.due_at.to_rfc3339())
                            .set("late", occurrence.late),
                        meta: RequestMeta::default(),
                    };
                    tx.record(&event).await?;
                } else {
                    tracing::debug!(reminder_id = %reminder.id, due_at = %occurrence.due_at, "occurrence fired before");
                }
                reminder = reminder.fired(occurrence.due_at, now);
            }
            if reminder != original {
                tx.update(&reminder, original.version).await?;
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").field("batch_size", &self.batch_size).finish_non_exhaustive()
    }
}
