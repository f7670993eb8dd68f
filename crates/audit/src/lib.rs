//! The audit domain: reading the log of every state change that the other domains append in
//! the same transaction as the change. Who may read what is decided here: administrators read
//! everything; members read the events of boards they belong to and the events they caused.
//! The log is tamper-evident: [`Sealer`] seals it in hash-chained batches behind the writers
//! and [`AuditService::verify`] checks the chain ([`chain`], decision 0045).

pub mod chain;
mod error;
mod model;
mod ports;
pub mod seal;
mod service;

pub use chain::Digest;
pub use error::AuditError;
pub use model::{AuditEvent, AuditFilter, Visibility};
pub use ports::{AuditLog, AuditSeals, SealTx};
pub use seal::{Sealer, Verification};
pub use service::AuditService;

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockAuditLog, MockAuditSeals, MockSealTx};
