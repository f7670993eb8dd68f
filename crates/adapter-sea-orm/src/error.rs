//! Driver errors become [`RepoError`] here, and nowhere else.

use kernel::RepoError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Maps a SeaORM error onto the port error. Unique and foreign-key violations read the same on
/// PostgreSQL and SQLite through [`DbErr::sql_err`].
pub(crate) fn map_db_err(err: DbErr) -> RepoError {
    if connection_lost(&err) {
        // The connection broke under the statement (the database restarted or cut it). The
        // pool drops it when it is released; a retry gets another (decision 0036).
        return RepoError::Unavailable("the database connection was lost".into());
    }
    if let Some(code) = transient_code(&err) {
        // Nothing was written and the same request may simply be retried: PostgreSQL aborted
        // one of two transactions that waited on each other, or a statement or lock wait ran
        // past its timeout. Not a conflict with the caller's version: a 503 with Retry-After.
        return RepoError::Unavailable(format!("transient database error (SQLSTATE {code})"));
    }
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            // The driver's text names tables and constraints: it goes to the log, not to clients.
            tracing::debug!(%detail, "unique constraint violated");
            RepoError::Conflict("already exists".into())
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => RepoError::NotFound,
        _ => match err {
            DbErr::RecordNotFound(_) => RepoError::NotFound,
            DbErr::ConnectionAcquire(e) => RepoError::Unavailable(e.to_string()),
            DbErr::Conn(e) => RepoError::Unavailable(e.to_string()),
            other => RepoError::Unexpected(anyhow::Error::new(other)),
        },
    }
}

/// The SQLSTATE of a transient failure: 40P01 (deadlock detected), 40001 (serialization
/// failure), 57014 (statement timeout), 55P03 (lock not available), or 57P01–57P03 (the server
/// is shutting down, crashed or is not yet accepting connections: a restart).
fn transient_code(err: &DbErr) -> Option<String> {
    let code = driver_error(err)?.as_database_error().and_then(sea_orm::sqlx::error::DatabaseError::code)?;
    ["40P01", "40001", "57014", "55P03", "57P01", "57P02", "57P03"].contains(&code.as_ref()).then(|| code.into_owned())
}

/// Whether a statement failed because its connection broke rather than because of what it
/// asked: an I/O error on the socket, or the SQLite worker gone.
fn connection_lost(err: &DbErr) -> bool {
    matches!(driver_error(err), Some(sea_orm::sqlx::Error::Io(_) | sea_orm::sqlx::Error::WorkerCrashed))
}

/// The driver's error under a failed statement.
fn driver_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// `?`-friendly extension: `query.await.repo()?`.
pub(crate) trait RepoResult<T> {
    fn repo(self) -> Result<T, RepoError>;
}

impl<T> RepoResult<T> for Result<T, DbErr> {
    fn repo(self) -> Result<T, RepoError> {
        self.map_err(map_db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_broken_under_a_statement_is_unavailable_not_unexpected() {
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let err = DbErr::Query(RuntimeErr::SqlxError(sea_orm::sqlx::Error::Io(reset)));
        assert!(matches!(map_db_err(err), RepoError::Unavailable(_)));
        let err = DbErr::Exec(RuntimeErr::SqlxError(sea_orm::sqlx::Error::WorkerCrashed));
        assert!(matches!(map_db_err(err), RepoError::Unavailable(_)));
        let err = DbErr::Query(RuntimeErr::SqlxError(sea_orm::sqlx::Error::RowNotFound));
        assert!(matches!(map_db_err(err), RepoError::Unexpected(_)));
    }
}
