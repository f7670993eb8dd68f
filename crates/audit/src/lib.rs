//! The audit domain: reading the log of every state change that the other domains append in
//! the same transaction as the change. Who may read what is decided here: administrators read
//! everything; members read the events of boards they belong to and the events they caused.

mod error;
mod model;
mod ports;
mod service;

pub use error::AuditError;
pub use model::{AuditEvent, AuditFilter, Visibility};
pub use ports::AuditLog;
pub use service::AuditService;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockAuditLog;
