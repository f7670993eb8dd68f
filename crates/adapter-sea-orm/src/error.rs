//! Driver errors become [`RepoError`] here, and nowhere else.

use kernel::RepoError;
use sea_orm::{DbErr, SqlErr};

/// Maps a SeaORM error onto the port error. Unique and foreign-key violations read the same on
/// PostgreSQL and SQLite through [`DbErr::sql_err`].
pub(crate) fn map_db_err(err: DbErr) -> RepoError {
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

/// `?`-friendly extension: `query.await.repo()?`.
pub(crate) trait RepoResult<T> {
    fn repo(self) -> Result<T, RepoError>;
}

impl<T> RepoResult<T> for Result<T, DbErr> {
    fn repo(self) -> Result<T, RepoError> {
        self.map_err(map_db_err)
    }
}
