//! The dashboard domain: one user's overview of their boards, cards, reminders, notes,
//! notifications and recent activity (`GET /api/v1/dashboard`), read through the other
//! domains' services and kept per user while it is exact ([`DashboardService`], decision 0046).

mod error;
mod model;
mod ports;
mod service;

pub use error::DashboardError;
pub use model::{
    Activity, BoardBrief, BoardSummary, CardBrief, ColumnCards, Dashboard, NoteBrief, NotificationBrief,
    NotificationSummary, ReminderBrief, Rendered, Stamp,
};
pub use ports::{BoardsPart, DashboardCache, Limits, Sources, Stamps};
pub use service::{DEFAULT_TTL, DUE_WITHIN_DAYS, DashboardService, LIMITS};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockDashboardCache, MockSources, MockStamps};
