//! Corkboard's schema migrations, one module per bounded context, for PostgreSQL and SQLite.
//!
//! Each migration is plain SQL written in the subset both dialects accept (SQLite takes
//! PostgreSQL's type names as affinities); the few places that differ use the placeholders that
//! [`script::run`] expands per backend. SQL reads closer to what the database will hold than a
//! builder does, and the contract suites prove both dialects behave the same.

use sea_orm_migration::prelude::*;

mod m0001_events;
mod m0002_identity;
mod m0003_board;
mod m0004_notes;
mod m0005_reminders;
mod m0006_notifications;
mod m0007_sso;
mod m0008_board_revisions;
mod m0009_audit_seals;
mod m0010_dashboard_stamps;
mod m0011_webhooks;
mod m0012_trace_context;
pub mod script;

/// Every migration, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_events::Migration),
            Box::new(m0002_identity::Migration),
            Box::new(m0003_board::Migration),
            Box::new(m0004_notes::Migration),
            Box::new(m0005_reminders::Migration),
            Box::new(m0006_notifications::Migration),
            Box::new(m0007_sso::Migration),
            Box::new(m0008_board_revisions::Migration),
            Box::new(m0009_audit_seals::Migration),
            Box::new(m0010_dashboard_stamps::Migration),
            Box::new(m0011_webhooks::Migration),
            Box::new(m0012_trace_context::Migration),
        ]
    }
}

/// Applies pending migrations; safe when several instances start at once. On PostgreSQL the
/// run holds a transaction-scoped advisory lock on a connection of its own, so a second
/// instance waits and then finds nothing to do; SQLite has a single writer already.
///
/// # Errors
/// The first migration that fails, or a lost connection.
pub async fn up_exclusive(conn: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait as _, DatabaseBackend, TransactionTrait as _};
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Migrator::up(conn, None).await;
    }
    let lock = conn.begin().await?;
    // An arbitrary constant that names "Corkboard's migrations" among advisory locks.
    lock.execute_unprepared("SELECT pg_advisory_xact_lock(428173901)").await?;
    let result = Migrator::up(conn, None).await;
    lock.commit().await?;
    result
}
