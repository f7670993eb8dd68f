//! Small SQL helpers shared by the stores.

use kernel::RepoError;
use sea_orm::sea_query::LockType;
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, PrimaryKeyTrait, QuerySelect};
use uuid::Uuid;

use crate::error::RepoResult;

/// `query … FOR NO KEY UPDATE` on PostgreSQL; the query unchanged on SQLite, whose write
/// transaction is exclusive already. `NO KEY UPDATE` rather than `UPDATE`: it still serialises
/// writers of the row, but does not block the `KEY SHARE` lock that foreign-key checks of child
/// inserts take (a card inserted while its board row is locked).
pub(crate) fn for_update<Q: QuerySelect, C: ConnectionTrait>(query: Q, conn: &C) -> Q {
    if conn.get_database_backend() == DatabaseBackend::Postgres { query.lock(LockType::NoKeyUpdate) } else { query }
}

/// The outcome of `UPDATE/DELETE … WHERE id = ? AND version = ?` that touched `rows_affected`
/// rows: nothing touched means the row is gone (`NotFound`) or its version moved on
/// (`Conflict`).
pub(crate) async fn versioned<E, C>(conn: &C, rows_affected: u64, id: Uuid) -> Result<(), RepoError>
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
