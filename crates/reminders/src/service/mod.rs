//! The reminder use cases.
//!
//! Every write runs in one [`ReminderTx`]: read (locked), check, write, record exactly one
//! [`DomainEvent`], commit. Any early return drops the unit of work, which rolls it back. Pool
//! calls ([`TargetAccess`], [`ReminderStore`] reads) happen before the unit of work opens: on
//! SQLite the pool may hold a single connection, which an open transaction already has.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kernel::{Caller, Changes, Clock, DomainEvent, IdGen, Page, PageRequest, ReminderId, Version};

use crate::error::ReminderError;
use crate::model::{NewReminder, Reminder, ReminderChanges, ReminderFilter, ReminderStatus, Target};
use crate::ports::{ReminderStore, ReminderTx, TargetAccess};
use crate::recurrence::{Recurrence, Until};
use crate::scheduler::first_pending;

/// The reminder use cases. Every one takes the authenticated [`Caller`] first.
///
/// Reminders are personal: anyone but the owner gets [`ReminderError::NotFound`], so a
/// reminder's existence is never revealed (administrators included).
pub struct ReminderService {
    store: Arc<dyn ReminderStore>,
    targets: Arc<dyn TargetAccess>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
}

impl ReminderService {
    /// Builds the service on its ports.
    pub fn new(
        store: Arc<dyn ReminderStore>,
        targets: Arc<dyn TargetAccess>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Self {
        Self { store, targets, clock, ids }
    }

    /// Creates a reminder owned by the caller. A `remind_at` in the past is allowed: a one-shot
    /// reminder then fires at once (late); a recurring one resumes with its next occurrence.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn create(&self, caller: &Caller, input: NewReminder) -> Result<Reminder, ReminderError> {
        check_until(input.remind_at, input.recurrence.as_ref(), &input.timezone)?;
        if let Some(target) = input.target {
            self.check_target(caller, target).await?;
        }
        let now = self.clock.now();
        let mut reminder = Reminder {
            id: ReminderId::from_uuid(self.ids.new_id()),
            owner_id: caller.user_id,
            title: input.title,
            body: input.body,
            remind_at: input.remind_at,
            timezone: input.timezone,
            recurrence: input.recurrence,
            target: input.target,
            status: ReminderStatus::Scheduled,
            next_fire_at: None,
            snoozed_until: None,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        reminder.next_fire_at = first_pending(&reminder, now);
        let tx = self.store.begin().await?;
        tx.insert(&reminder).await?;
        let changes = Changes::new()
            .set("title", reminder.title.as_str())
            .set("body", reminder.body.as_str())
            .set("remind_at", reminder.remind_at.to_rfc3339())
            .set("timezone", reminder.timezone.name())
            .set("recurrence", reminder.recurrence.as_ref().map(ToString::to_string))
            .set("target", reminder.target.map(|t| t.to_string()))
            .set("status", reminder.status.as_str())
            .set("next_fire_at", rfc3339(reminder.next_fire_at));
        self.finish(tx, caller, "reminder.created", &reminder, changes).await?;
        Ok(reminder)
    }

    /// One of the caller's reminders.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%reminder_id), err(level = "debug"))]
    pub async fn get(&self, caller: &Caller, reminder_id: ReminderId) -> Result<Reminder, ReminderError> {
        owned(caller, self.store.get(reminder_id).await?)
    }

    /// The caller's scheduled reminders that fire next, soonest first; at most `limit`
    /// (clamped to 1..=200).
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn next(&self, caller: &Caller, limit: u32) -> Result<Vec<Reminder>, ReminderError> {
        Ok(self.store.next_for_owner(caller.user_id, limit.clamp(1, PageRequest::MAX_LIMIT)).await?)
    }

    /// The caller's reminders matching `filter`, by id.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn list(
        &self,
        caller: &Caller,
        filter: ReminderFilter,
        page: PageRequest,
    ) -> Result<Page<Reminder>, ReminderError> {
        Ok(self.store.list_by_owner(caller.user_id, filter, page).await?)
    }

    /// Changes a reminder. A change of `remind_at`, `timezone` or `recurrence` recomputes
    /// `next_fire_at` as creation does (and drops a snooze); a change that changes nothing
    /// writes nothing.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%reminder_id), err(level = "debug"))]
    pub async fn update(
        &self,
        caller: &Caller,
        reminder_id: ReminderId,
        changes: ReminderChanges,
        expected: Option<Version>,
    ) -> Result<Reminder, ReminderError> {
        if let Some(Some(target)) = changes.target {
            self.check_target(caller, target).await?;
        }
        let tx = self.store.begin().await?;
        let current = owned(caller, tx.get(reminder_id).await?)?;
        check_version(current.version, expected)?;
        let reschedules = changes.reschedules();
        let mut next = current.clone();
        if let Some(title) = changes.title {
            next.title = title;
        }
        if let Some(body) = changes.body {
            next.body = body;
        }
        if let Some(remind_at) = changes.remind_at {
            next.remind_at = remind_at;
        }
        if let Some(timezone) = changes.timezone {
            next.timezone = timezone;
        }
        if let Some(recurrence) = changes.recurrence {
            next.recurrence = recurrence;
        }
        if let Some(target) = changes.target {
            next.target = target;
        }
        if next == current {
            return Ok(current);
        }
        check_until(next.remind_at, next.recurrence.as_ref(), &next.timezone)?;
        let now = self.clock.now();
        if reschedules && next.status == ReminderStatus::Scheduled {
            next.next_fire_at = first_pending(&next, now);
            next.snoozed_until = None;
        }
        next.version = current.version.next();
        next.updated_at = now;
        tx.update(&next, current.version).await.map_err(ReminderError::stale_write(expected.is_some()))?;
        let changes = Changes::new()
            .diff("title", current.title.as_str(), next.title.as_str())
            .diff("body", current.body.as_str(), next.body.as_str())
            .diff("remind_at", current.remind_at.to_rfc3339(), next.remind_at.to_rfc3339())
            .diff("timezone", current.timezone.name(), next.timezone.name())
            .diff(
                "recurrence",
                current.recurrence.as_ref().map(ToString::to_string),
                next.recurrence.as_ref().map(ToString::to_string),
            )
            .diff("target", current.target.map(|t| t.to_string()), next.target.map(|t| t.to_string()))
            .diff("next_fire_at", rfc3339(current.next_fire_at), rfc3339(next.next_fire_at))
            .diff("snoozed_until", rfc3339(current.snoozed_until), rfc3339(next.snoozed_until));
        self.finish(tx, caller, "reminder.updated", &next, changes).await?;
        Ok(next)
    }

    /// Deletes a reminder.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%reminder_id), err(level = "debug"))]
    pub async fn delete(
        &self,
        caller: &Caller,
        reminder_id: ReminderId,
        expected: Option<Version>,
    ) -> Result<(), ReminderError> {
        let tx = self.store.begin().await?;
        let current = owned(caller, tx.get(reminder_id).await?)?;
        check_version(current.version, expected)?;
        tx.delete(reminder_id, current.version).await.map_err(ReminderError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("title", current.title.as_str(), Option::<String>::None);
        self.finish(tx, caller, "reminder.deleted", &current, changes).await
    }

    /// Marks a reminder done. For a recurring reminder this ends the series for good (there is
    /// no "complete this occurrence": a series moves on by itself once an occurrence fired).
    /// Completing a completed reminder changes nothing; a cancelled one cannot be completed.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%reminder_id), err(level = "debug"))]
    pub async fn complete(
        &self,
        caller: &Caller,
        reminder_id: ReminderId,
        expected: Option<Version>,
    ) -> Result<Reminder, ReminderError> {
        self.close(caller, reminder_id, expected, ReminderStatus::Completed, "reminder.completed").await
    }

    /// Calls a reminder off: it never fires again. Cancelling a cancelled reminder changes
    /// nothing; a completed one cannot be cancelled.
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%reminder_id), err(level = "debug"))]
    pub async fn cancel(
        &self,
        caller: &Caller,
        reminder_id: ReminderId,
        expected: Option<Version>,
    ) -> Result<Reminder, ReminderError> {
        self.close(caller, reminder_id, expected, ReminderStatus::Cancelled, "reminder.cancelled").await
    }

    /// Pushes the pending firing back to `until`, which must be in the future: `next_fire_at`
    /// becomes `until` for this occurrence only; a recurring reminder then carries on with its
    /// first occurrence after `until`. Works on any scheduled reminder, also one whose last
    /// occurrence already fired ("remind me again in ten minutes").
    #[tracing::instrument(target = "reminders::use_case", level = "debug", skip_all, fields(%reminder_id, %until), err(level = "debug"))]
    pub async fn snooze(
        &self,
        caller: &Caller,
        reminder_id: ReminderId,
        until: DateTime<Utc>,
        expected: Option<Version>,
    ) -> Result<Reminder, ReminderError> {
        let now = self.clock.now();
        if until <= now {
            return Err(ReminderError::invalid("until", "must be in the future"));
        }
        let tx = self.store.begin().await?;
        let current = owned(caller, tx.get(reminder_id).await?)?;
        check_version(current.version, expected)?;
        if current.status != ReminderStatus::Scheduled {
            return Err(ReminderError::NotScheduled(current.status));
        }
        let next = Reminder {
            next_fire_at: Some(until),
            snoozed_until: Some(until),
            version: current.version.next(),
            updated_at: now,
            ..current.clone()
        };
        tx.update(&next, current.version).await.map_err(ReminderError::stale_write(expected.is_some()))?;
        let changes = Changes::new()
            .diff("next_fire_at", rfc3339(current.next_fire_at), rfc3339(next.next_fire_at))
            .diff("snoozed_until", rfc3339(current.snoozed_until), rfc3339(next.snoozed_until));
        self.finish(tx, caller, "reminder.snoozed", &next, changes).await?;
        Ok(next)
    }

    /// Completes or cancels.
    async fn close(
        &self,
        caller: &Caller,
        reminder_id: ReminderId,
        expected: Option<Version>,
        status: ReminderStatus,
        action: &'static str,
    ) -> Result<Reminder, ReminderError> {
        let tx = self.store.begin().await?;
        let current = owned(caller, tx.get(reminder_id).await?)?;
        check_version(current.version, expected)?;
        if current.status == status {
            return Ok(current);
        }
        if current.status != ReminderStatus::Scheduled {
            return Err(ReminderError::NotScheduled(current.status));
        }
        let next = Reminder {
            status,
            next_fire_at: None,
            snoozed_until: None,
            version: current.version.next(),
            updated_at: self.clock.now(),
            ..current.clone()
        };
        tx.update(&next, current.version).await.map_err(ReminderError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("status", current.status.as_str(), next.status.as_str()).diff(
            "next_fire_at",
            rfc3339(current.next_fire_at),
            rfc3339(next.next_fire_at),
        );
        self.finish(tx, caller, action, &next, changes).await?;
        Ok(next)
    }

    /// Refuses a target the caller cannot see (or that does not exist).
    async fn check_target(&self, caller: &Caller, target: Target) -> Result<(), ReminderError> {
        if self.targets.can_see(caller.user_id, target).await? {
            Ok(())
        } else {
            Err(ReminderError::invalid("target", format!("no {} {} that you can see", target.kind(), target.id())))
        }
    }

    /// Records the change's event and commits the unit of work.
    async fn finish(
        &self,
        tx: Box<dyn ReminderTx>,
        caller: &Caller,
        action: &'static str,
        reminder: &Reminder,
        changes: Changes,
    ) -> Result<(), ReminderError> {
        let event = DomainEvent {
            id: self.ids.new_id(),
            occurred_at: self.clock.now(),
            actor: caller.actor,
            action,
            resource_type: "reminder",
            resource_id: reminder.id.as_uuid(),
            board_id: None,
            changes,
            meta: caller.meta.clone(),
        };
        tx.record(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl std::fmt::Debug for ReminderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReminderService").finish_non_exhaustive()
    }
}

/// Someone else's reminder is as good as absent.
fn owned(caller: &Caller, reminder: Reminder) -> Result<Reminder, ReminderError> {
    if reminder.owner_id == caller.user_id { Ok(reminder) } else { Err(ReminderError::NotFound) }
}

/// The caller's expected version, when given, must name the current one.
fn check_version(current: Version, expected: Option<Version>) -> Result<(), ReminderError> {
    match expected {
        Some(expected) if expected != current => Err(ReminderError::VersionMismatch),
        _ => Ok(()),
    }
}

/// An `UNTIL` before the first occurrence makes a series with nothing after its start.
fn check_until(
    remind_at: DateTime<Utc>,
    recurrence: Option<&Recurrence>,
    timezone: &crate::model::Timezone,
) -> Result<(), ReminderError> {
    let before = match recurrence.and_then(Recurrence::until) {
        Some(Until::Instant(until)) => until < remind_at,
        Some(Until::Date(until)) => until < timezone.local(remind_at).date(),
        None => false,
    };
    if before {
        return Err(ReminderError::invalid("recurrence", "UNTIL is before remind_at"));
    }
    Ok(())
}

fn rfc3339(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|t| t.to_rfc3339())
}
