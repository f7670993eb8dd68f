//! Board's store: [`SeaBoardStore`] (the pool; reads and the start of units of work) and
//! [`SeaBoardTx`] (one transaction over the board tables and the event log).
//!
//! Row locks (`SELECT … FOR UPDATE`) are taken on PostgreSQL only: SQLite has one writer at a
//! time, so a write transaction is already exclusive there.

mod boards;
mod cards;
mod columns;
mod convert;
mod labels;
mod ranks;
mod store;
mod view;

use kernel::RepoError;
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, PrimaryKeyTrait, QuerySelect};
use uuid::Uuid;

use crate::error::RepoResult;

pub use store::{SeaBoardStore, SeaBoardTx};

/// `query … FOR UPDATE` on PostgreSQL; the query unchanged on SQLite.
fn for_update<Q: QuerySelect, C: ConnectionTrait>(query: Q, conn: &C) -> Q {
    if conn.get_database_backend() == DatabaseBackend::Postgres { query.lock_exclusive() } else { query }
}

/// The outcome of `UPDATE/DELETE … WHERE id = ? AND version = ?` that touched `rows_affected`
/// rows: nothing touched means the row is gone (`NotFound`) or its version moved on
/// (`Conflict`).
async fn versioned<E, C>(conn: &C, rows_affected: u64, id: Uuid) -> Result<(), RepoError>
where
    E: EntityTrait,
    C: ConnectionTrait,
    Uuid: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    if rows_affected > 0 {
        return Ok(());
    }
    match E::find_by_id(id).one(conn).await.repo()? {
        Some(_) => Err(RepoError::Conflict("stale version".into())),
        None => Err(RepoError::NotFound),
    }
}
