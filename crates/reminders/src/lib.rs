//! The reminders domain: personal reminders with an optional RFC 5545 recurrence, computed in
//! the time zone they were set in, and the pure steps of the scheduler that fires them.
//!
//! It holds the models and value types ([`model`]), the RRULE subset and its occurrence engine
//! ([`recurrence`]), the ports it needs ([`ports`]), the scheduler's pure steps ([`scheduler`])
//! and the use cases ([`ReminderService`]; [`Scheduler`], whose tick fires due reminders; and
//! [`NotificationService`], the in-app notifications feed). It depends on `kernel` and plain
//! libraries only (jiff for the IANA time zone database); adapters implement the ports and `app`
//! wires them.
//!
//! # Decisions
//!
//! - **Recurrence is written here, not taken from the `rrule` crate.** The subset (`FREQ`
//!   DAILY/WEEKLY/MONTHLY/YEARLY, `INTERVAL`, `BYDAY` with monthly ordinals such as `1MO` and
//!   `-1FR`, `BYMONTHDAY`, `COUNT`, `UNTIL`) is small; owning it gives error messages that
//!   name the part at fault, our own DST rules, and hard loop bounds. Parts outside the subset
//!   (`BYSETPOS`, `BYHOUR`, `WKST`, …) are refused by name.
//! - **The first occurrence is `remind_at`** and always counts towards `COUNT`, as RFC 5545's
//!   DTSTART does, even when it does not match the rule.
//! - **Wall-clock time is kept** in the reminder's zone; a time in a spring-forward gap is
//!   shifted forward by the gap (02:30 → 03:30), a time in a fall-back overlap is the earlier
//!   instant. See [`recurrence::Schedule`].
//! - **Past `remind_at` is allowed.** A one-shot reminder set in the past fires at once, marked
//!   late; a recurring one resumes with its next occurrence (a series entirely in the past fires
//!   its last occurrence once, late). See [`scheduler::first_pending`].
//! - **Firing never changes the status.** A reminder whose last occurrence fired stays
//!   `scheduled` with no `next_fire_at` until its owner completes it; it can still be snoozed.
//! - **Completing a recurring reminder ends the series.** Skipping one occurrence is not a use
//!   case: the series moves on by itself once an occurrence fired.
//! - **Snoozing moves the pending firing only**; a series resumes after the snoozed time, and
//!   occurrences the snooze jumped over are absorbed, not fired late.
//! - **Late** means fired more than [`scheduler::LATE_AFTER`] after the due time.

mod error;
mod firing;
pub mod model;
mod notifications;
pub mod ports;
pub mod recurrence;
pub mod scheduler;
mod service;

pub use error::ReminderError;
pub use firing::{Scheduler, TickReport};
pub use model::{
    NewReminder, Notification, Reminder, ReminderBody, ReminderChanges, ReminderFilter, ReminderStatus, ReminderTitle,
    Target, Timezone,
};
pub use notifications::NotificationService;
pub use ports::{
    Claim, FiringStore, FiringTx, NotificationStore, NotificationTx, ReminderStore, ReminderTx, TargetAccess,
};
pub use recurrence::{Recurrence, RecurrenceError, Schedule};
pub use scheduler::{Occurrence, after_firing, due_occurrence};
pub use service::ReminderService;

#[cfg(feature = "mocks")]
pub use ports::{
    MockFiringStore, MockFiringTx, MockNotificationStore, MockNotificationTx, MockReminderStore, MockReminderTx,
    MockTargetAccess,
};
