//! What a reminder is made of.

use std::fmt;

use chrono::{DateTime, Utc};
use kernel::{CardId, NoteId, ReminderId, UserId, Version};

use super::values::{ReminderBody, ReminderStatusError, ReminderTitle, Timezone};
use crate::recurrence::{Recurrence, Schedule};

/// Where a reminder stands. Firing never changes it: only the owner completes or cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderStatus {
    /// Live: it fires whenever `next_fire_at` comes; after its last firing it stays here (with
    /// no `next_fire_at`) until the owner completes it, or snoozes it to fire again.
    Scheduled,
    /// Done, for good: a completed recurring reminder ends its series.
    Completed,
    /// Called off; it never fires again.
    Cancelled,
}

impl ReminderStatus {
    /// `scheduled`, `completed` or `cancelled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads the API and storage spelling.
    ///
    /// # Errors
    /// [`ReminderStatusError`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, ReminderStatusError> {
        match raw {
            "scheduled" => Ok(Self::Scheduled),
            "completed" => Ok(Self::Completed),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err(ReminderStatusError),
        }
    }
}

impl fmt::Display for ReminderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A card on a board.
    Card(CardId),
    /// A note.
    Note(NoteId),
}

impl Target {
    /// `card` or `note`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Card(_) => "card",
            Self::Note(_) => "note",
        }
    }

    /// The target's id.
    pub const fn id(&self) -> uuid::Uuid {
        match self {
            Self::Card(id) => id.as_uuid(),
            Self::Note(id) => id.as_uuid(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.id())
    }
}

/// A personal reminder: it belongs to its owner and nobody else sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// Its id.
    pub id: ReminderId,
    /// Whose it is.
    pub owner_id: UserId,
    /// What to be reminded of.
    pub title: ReminderTitle,
    /// More detail (may be empty).
    pub body: ReminderBody,
    /// The first occurrence, as an instant.
    pub remind_at: DateTime<Utc>,
    /// The zone it was set in; recurrences keep their local wall-clock time in it.
    pub timezone: Timezone,
    /// How it repeats, if it does.
    pub recurrence: Option<Recurrence>,
    /// The card or note it is about.
    pub target: Option<Target>,
    /// Where it stands.
    pub status: ReminderStatus,
    /// When it fires next; `None` when nothing is left to fire (or it is not scheduled).
    pub next_fire_at: Option<DateTime<Utc>>,
    /// Set while the pending firing was pushed back by a snooze (it then equals
    /// `next_fire_at`); cleared when that firing happens or the schedule changes.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Reminder {
    /// Its timetable: `remind_at`, then the recurrence in its time zone.
    pub fn schedule(&self) -> Schedule {
        Schedule::new(self.remind_at, self.timezone.clone(), self.recurrence.clone())
    }

    /// Whether it repeats.
    pub const fn is_recurring(&self) -> bool {
        self.recurrence.is_some()
    }

    /// The next `n` firings as things stand: `next_fire_at` (a snoozed time included), then
    /// the schedule's occurrences after it. Empty when nothing is pending.
    pub fn upcoming(&self, n: usize) -> Vec<DateTime<Utc>> {
        let Some(next) = self.next_fire_at.filter(|_| self.status == ReminderStatus::Scheduled) else {
            return Vec::new();
        };
        if n == 0 {
            return Vec::new();
        }
        let mut all = vec![next];
        if self.is_recurring() {
            all.extend(self.schedule().upcoming(next, n - 1));
        }
        all
    }
}
