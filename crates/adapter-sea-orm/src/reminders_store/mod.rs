//! Reminders' store: [`SeaReminderStore`] (the pool: reads and the start of units of work; also
//! reminders' [`reminders::TargetAccess`] over the board and note tables) and [`SeaReminderTx`]
//! (one transaction over the reminders table and the event log; also the scheduler's firing
//! unit of work). The store also serves users' notification feeds, and [`SeaReminderTx`] is
//! the unit of work that marks them read (with their `notification.read*` events).
//!
//! A reminder's time zone and rule are stored as text and parsed again by the domain on every
//! read (decision 0020): a row that no longer parses is reported as corrupt, never guessed at.

mod firing;
mod queries;
mod store;

pub use store::{SeaReminderStore, SeaReminderTx};
