//! Recurrence: the RRULE subset ([`Recurrence`]) and the occurrence engine ([`Schedule`]).
//!
//! Written here rather than taken from the `rrule` crate: the subset is small, the engine must
//! follow Corkboard's own rules for DST gaps and overlaps and have hard bounds on its loops, and
//! the crate would bring its own parser, error texts and time-zone handling to reconcile with
//! ours.

mod rule;
mod schedule;

pub use rule::{Frequency, Recurrence, RecurrenceError, Until, WeekdayNum};
pub use schedule::{MAX_EMPTY_PERIODS, MAX_UPCOMING, Occurrences, Schedule};
