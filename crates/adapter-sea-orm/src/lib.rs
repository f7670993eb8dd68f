//! Outbound adapter: Corkboard's relational storage on SeaORM, for PostgreSQL and SQLite.
//!
//! Every query is written once as a function generic over [`sea_orm::ConnectionTrait`], so the
//! same code serves the pool and an open transaction. Units of work own a
//! [`sea_orm::DatabaseTransaction`] and roll back when dropped without commit.

mod audit_log;
mod audit_seals;
mod board_store;
mod dashboard_stamps;
mod db;
mod entity;
mod error;
mod event_log;
mod events;
mod identity_store;
mod notes_store;
mod reminders_store;
mod sql;
mod webhooks_store;

pub use audit_log::SeaAuditLog;
pub use audit_seals::{SeaAuditSeals, SeaSealTx};
pub use board_store::{SeaBoardStore, SeaBoardTx};
pub use dashboard_stamps::SeaDashboardStamps;
pub use db::Db;
pub use event_log::SeaEventLog;
pub use identity_store::{SeaIdentityStore, SeaIdentityTx, SeaSessionStore, SeaSsoLoginStore};
pub use notes_store::{SeaNoteStore, SeaNoteTx};
pub use reminders_store::{SeaReminderStore, SeaReminderTx};
pub use webhooks_store::{SeaDeliveryQueue, SeaWebhookStore};
