//! Driver errors become [`RepoError`] here, and nowhere else.

use kernel::RepoError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Maps a SeaORM error onto the port error. Unique and foreign-key violations read the same on
/// PostgreSQL and SQLite through [`DbErr::sql_err`].
pub(crate) fn map_db_err(err: DbErr) -> RepoError {
    if is_retryable(&err) {
        // PostgreSQL aborted one of two transactions that waited on each other (a deadlock, or
        // a serialization failure): nothing was written, and the client may simply retry.
        return RepoError::Conflict("concurrent change; retry".into());
    }
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => RepoError::Conflict(detail),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => RepoError::NotFound,
        _ => match err {
            DbErr::RecordNotFound(_) => RepoError::NotFound,
            DbErr::ConnectionAcquire(e) => RepoError::Unavailable(e.to_string()),
            DbErr::Conn(e) => RepoError::Unavailable(e.to_string()),
            other => RepoError::Unexpected(anyhow::Error::new(other)),
        },
    }
}

/// SQLSTATE 40P01 (deadlock detected) or 40001 (serialization failure).
fn is_retryable(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return false;
    };
    e.as_database_error()
        .and_then(sea_orm::sqlx::error::DatabaseError::code)
        .is_some_and(|code| code == "40P01" || code == "40001")
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
