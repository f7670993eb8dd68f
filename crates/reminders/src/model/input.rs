//! Inputs of the use cases, made of already-parsed values: the HTTP adapter parses its DTOs into
//! these, so a use case never sees an invalid title, zone or rule.

use chrono::{DateTime, Utc};

use super::entities::{ReminderStatus, Target};
use super::values::{ReminderBody, ReminderTitle, Timezone};
use crate::recurrence::Recurrence;

/// A reminder to create; the caller becomes its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReminder {
    /// Its title.
    pub title: ReminderTitle,
    /// Its body (may be empty).
    pub body: ReminderBody,
    /// The first occurrence. In the past, it fires at once, marked late.
    pub remind_at: DateTime<Utc>,
    /// The zone it was set in.
    pub timezone: Timezone,
    /// How it repeats.
    pub recurrence: Option<Recurrence>,
    /// A card or note the caller can see.
    pub target: Option<Target>,
}

/// Changes to a reminder; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderChanges {
    /// A new title.
    pub title: Option<ReminderTitle>,
    /// A new body.
    pub body: Option<ReminderBody>,
    /// A new first occurrence.
    pub remind_at: Option<DateTime<Utc>>,
    /// A new zone.
    pub timezone: Option<Timezone>,
    /// A new rule, or none.
    pub recurrence: Option<Option<Recurrence>>,
    /// A new target, or none.
    pub target: Option<Option<Target>>,
}

impl ReminderChanges {
    /// Whether the change touches when the reminder fires.
    pub const fn reschedules(&self) -> bool {
        self.remind_at.is_some() || self.timezone.is_some() || self.recurrence.is_some()
    }
}

/// Which of an owner's reminders to list. `from` (inclusive) and `to` (exclusive) bound
/// `next_fire_at`: with either bound, reminders with nothing pending are left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderFilter {
    /// Only this status.
    pub status: Option<ReminderStatus>,
    /// Only those firing at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only those firing before this instant.
    pub to: Option<DateTime<Utc>>,
}
