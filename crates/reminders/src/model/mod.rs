//! The reminders domain's entities, value types and use-case inputs. No serde, no ORM: adapters
//! convert at their edge.

mod entities;
mod input;
mod notification;
mod values;

pub use entities::{Reminder, ReminderStatus, Target};
pub use input::{NewReminder, ReminderChanges, ReminderFilter};
pub use notification::Notification;
pub use values::{ReminderBody, ReminderStatusError, ReminderTitle, TextError, Timezone, TimezoneError};
