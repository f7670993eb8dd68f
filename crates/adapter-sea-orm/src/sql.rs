//! Small SQL helpers shared by the stores.

use std::sync::OnceLock;

use kernel::RepoError;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, PrimaryKeyTrait, QuerySelect, QueryTrait, Statement, Value,
};
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

/// The SQL text of a query that runs on nearly every request (the bearer token's lookup, the
/// check of a kept board view), made once per backend. sea-query otherwise writes the text anew
/// on every call, which cost a board fetch about as much CPU as the rest of its database work
/// (decision 0056). A call gives the values in the order the built query takes them; in debug
/// builds (every test) each call builds the query too and checks that the kept text and the
/// values given are what it makes.
pub(crate) struct KeptText {
    postgres: OnceLock<String>,
    sqlite: OnceLock<String>,
}

impl KeptText {
    pub(crate) const fn new() -> Self {
        Self { postgres: OnceLock::new(), sqlite: OnceLock::new() }
    }

    /// The statement `query` builds on `backend`, with `values`.
    pub(crate) fn statement<Q: QueryTrait>(
        &self,
        backend: DatabaseBackend,
        values: Vec<Value>,
        query: impl Fn() -> Q,
    ) -> Statement {
        let kept = match backend {
            DatabaseBackend::Postgres => &self.postgres,
            DatabaseBackend::Sqlite => &self.sqlite,
            DatabaseBackend::MySql => return query().build(backend),
        };
        let sql = kept.get_or_init(|| query().build(backend).sql);
        if cfg!(debug_assertions) {
            let built = query().build(backend);
            assert_eq!(*sql, built.sql, "kept SQL text differs from the query's");
            assert_eq!(Some(&values), built.values.as_ref().map(|v| &v.0), "values given differ from the query's");
        }
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}
