//! The scheduler's pure steps, so the worker only reads due reminders, calls these, and writes.
//!
//! The worker's loop, per due reminder, in one unit of work: [`due_occurrence`] gives the
//! occurrence to fire (its `(reminder_id, due_at)` is the unique occurrence record that makes a
//! firing happen once in effect); after recording it, the worker stores
//! [`after_firing`]'s answer as `next_fire_at` and clears `snoozed_until` (see
//! [`Reminder::fired`]). Missed occurrences after downtime come out one by one, each late.

use chrono::{DateTime, Duration, Utc};
use kernel::ReminderId;

use crate::model::{Reminder, ReminderStatus};

/// How long after its due time a firing still counts as on time.
pub const LATE_AFTER: Duration = Duration::seconds(60);

/// One firing of a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Occurrence {
    /// The reminder.
    pub reminder_id: ReminderId,
    /// When it was due (a snoozed time included).
    pub due_at: DateTime<Utc>,
    /// Whether it fires more than [`LATE_AFTER`] after `due_at` (downtime, or created late).
    pub late: bool,
}

/// The occurrence to fire at `now`, if any: a scheduled reminder whose `next_fire_at` has come.
pub fn due_occurrence(reminder: &Reminder, now: DateTime<Utc>) -> Option<Occurrence> {
    if reminder.status != ReminderStatus::Scheduled {
        return None;
    }
    let due_at = reminder.next_fire_at.filter(|at| *at <= now)?;
    Some(Occurrence { reminder_id: reminder.id, due_at, late: now - due_at > LATE_AFTER })
}

/// What `next_fire_at` becomes once the occurrence due at `fired_due_at` has fired: the
/// schedule's next occurrence strictly after it, or `None` (a one-shot reminder, or the end of
/// the series; the reminder stays scheduled until its owner completes it).
///
/// After a snoozed firing the series resumes after the snoozed time: occurrences the snooze
/// jumped over are absorbed by it, not fired late.
pub fn after_firing(reminder: &Reminder, fired_due_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if reminder.status != ReminderStatus::Scheduled || !reminder.is_recurring() {
        return None;
    }
    reminder.schedule().next_after(fired_due_at)
}

impl Reminder {
    /// The reminder once the occurrence due at `fired_due_at` has fired at `now`: next firing
    /// from [`after_firing`], snooze cleared, version bumped. Status unchanged.
    #[must_use]
    pub fn fired(&self, fired_due_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            next_fire_at: after_firing(self, fired_due_at),
            snoozed_until: None,
            version: self.version.next(),
            updated_at: now,
            ..self.clone()
        }
    }
}

/// The firing a (re)scheduled reminder starts from at `now`: its first occurrence that is not
/// more than [`LATE_AFTER`] old, else (the whole series is past) its last one, which fires at
/// once, late. A one-shot reminder set in the past therefore fires at once; a recurring one
/// started in the past resumes with its next occurrence instead of replaying the past.
pub fn first_pending(reminder: &Reminder, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = reminder.schedule();
    schedule.first_at_or_after(now - LATE_AFTER).or_else(|| schedule.last_at_or_before(now))
}

#[cfg(test)]
mod tests {
    use kernel::{UserId, Version};
    use uuid::Uuid;

    use super::*;
    use crate::model::{ReminderBody, ReminderTitle, Timezone};
    use crate::recurrence::Recurrence;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn reminder(rule: Option<&str>, next: Option<&str>) -> Reminder {
        Reminder {
            id: ReminderId::from_uuid(Uuid::from_u128(1)),
            owner_id: UserId::from_uuid(Uuid::from_u128(2)),
            title: ReminderTitle::parse("Stand-up").unwrap(),
            body: ReminderBody::empty(),
            remind_at: utc("2025-03-28T08:00:00Z"),
            timezone: Timezone::parse("Europe/Berlin").unwrap(),
            recurrence: rule.map(|r| Recurrence::parse(r).unwrap()),
            target: None,
            status: ReminderStatus::Scheduled,
            next_fire_at: next.map(utc),
            snoozed_until: None,
            version: Version::new(4),
            created_at: utc("2025-03-01T00:00:00Z"),
            updated_at: utc("2025-03-01T00:00:00Z"),
        }
    }

    #[test]
    fn nothing_is_due_before_next_fire_at() {
        let r = reminder(None, Some("2025-03-28T08:00:00Z"));
        assert_eq!(due_occurrence(&r, utc("2025-03-28T07:59:59Z")), None);
    }

    #[test]
    fn due_on_time_is_not_late() {
        let r = reminder(None, Some("2025-03-28T08:00:00Z"));
        let occ = due_occurrence(&r, utc("2025-03-28T08:00:30Z")).unwrap();
        assert_eq!(occ, Occurrence { reminder_id: r.id, due_at: r.remind_at, late: false });
    }

    #[test]
    fn due_long_ago_is_late() {
        let r = reminder(None, Some("2025-03-28T08:00:00Z"));
        assert!(due_occurrence(&r, utc("2025-03-28T09:00:00Z")).unwrap().late);
    }

    #[test]
    fn completed_or_cancelled_reminders_never_fire() {
        for status in [ReminderStatus::Completed, ReminderStatus::Cancelled] {
            let r = Reminder { status, ..reminder(None, Some("2025-03-28T08:00:00Z")) };
            assert_eq!(due_occurrence(&r, utc("2026-01-01T00:00:00Z")), None);
        }
    }

    #[test]
    fn one_shot_has_nothing_after_firing() {
        let r = reminder(None, Some("2025-03-28T08:00:00Z"));
        assert_eq!(after_firing(&r, r.remind_at), None);
    }

    #[test]
    fn recurring_moves_to_the_next_local_occurrence_across_dst() {
        let r = reminder(Some("FREQ=DAILY"), Some("2025-03-29T08:00:00Z"));
        // 09:00 Berlin on Mar 30 is 07:00Z (CEST).
        assert_eq!(after_firing(&r, utc("2025-03-29T08:00:00Z")), Some(utc("2025-03-30T07:00:00Z")));
    }

    #[test]
    fn missed_occurrences_come_out_one_by_one_after_downtime() {
        let mut r = reminder(Some("FREQ=DAILY"), Some("2025-03-28T08:00:00Z"));
        let now = utc("2025-03-30T12:00:00Z");
        let mut fired = vec![];
        while let Some(occ) = due_occurrence(&r, now) {
            fired.push(occ);
            r = r.fired(occ.due_at, now);
        }
        assert_eq!(fired.len(), 3);
        assert!(fired.iter().all(|o| o.late));
        assert_eq!(r.next_fire_at, Some(utc("2025-03-31T07:00:00Z")));
        assert_eq!(r.version, Version::new(7));
    }

    #[test]
    fn after_a_snoozed_firing_the_series_resumes_after_the_snooze() {
        let mut r = reminder(Some("FREQ=DAILY"), Some("2025-03-28T08:10:00Z"));
        r.snoozed_until = r.next_fire_at;
        let next = r.fired(utc("2025-03-28T08:10:00Z"), utc("2025-03-28T08:10:00Z"));
        assert_eq!(next.next_fire_at, Some(utc("2025-03-29T08:00:00Z")));
        assert_eq!(next.snoozed_until, None);
    }

    #[test]
    fn first_pending_of_a_past_one_shot_is_its_time() {
        let r = reminder(None, None);
        assert_eq!(first_pending(&r, utc("2025-06-01T00:00:00Z")), Some(r.remind_at));
    }

    #[test]
    fn first_pending_of_a_past_series_is_its_next_occurrence() {
        let r = reminder(Some("FREQ=DAILY"), None);
        assert_eq!(first_pending(&r, utc("2025-04-01T12:00:00Z")), Some(utc("2025-04-02T07:00:00Z")));
        // Within the grace, the occurrence just due is still pending.
        assert_eq!(first_pending(&r, utc("2025-03-28T08:00:30Z")), Some(r.remind_at));
    }

    #[test]
    fn first_pending_of_a_finished_series_is_its_last_occurrence() {
        let r = reminder(Some("FREQ=DAILY;COUNT=2"), None);
        assert_eq!(first_pending(&r, utc("2025-06-01T00:00:00Z")), Some(utc("2025-03-29T08:00:00Z")));
    }

    #[test]
    fn upcoming_starts_at_the_pending_firing() {
        let r = reminder(Some("FREQ=DAILY"), Some("2025-03-28T08:30:00Z"));
        assert_eq!(
            r.upcoming(3),
            [utc("2025-03-28T08:30:00Z"), utc("2025-03-29T08:00:00Z"), utc("2025-03-30T07:00:00Z")]
        );
        assert_eq!(reminder(None, Some("2025-03-28T08:00:00Z")).upcoming(5).len(), 1);
        assert!(reminder(None, None).upcoming(5).is_empty());
    }
}
