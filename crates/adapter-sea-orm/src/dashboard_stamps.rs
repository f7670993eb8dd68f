//! [`dashboard::Stamps`] in SQL: one statement over the user's memberships, their boards'
//! revisions and the user's own revision (decision 0046).

use dashboard::{Stamp, Stamps};
use kernel::{RepoError, UserId};
use sea_orm::{ConnectionTrait, Statement};

use crate::Db;
use crate::error::RepoResult;

/// The three parts of a stamp. The sum is cast because PostgreSQL sums `BIGINT`s as `NUMERIC`.
const STAMP: &str = "\
    SELECT \
      (SELECT count(*) FROM board_members WHERE user_id = $1) AS boards, \
      (SELECT CAST(coalesce(sum(r.revision), 0) AS BIGINT) FROM board_members m \
         JOIN board_revisions r ON r.board_id = m.board_id WHERE m.user_id = $1) AS board_revisions, \
      (SELECT coalesce(max(revision), 0) FROM user_revisions WHERE user_id = $1) AS personal";

/// Dashboard stamps from the database.
#[derive(Debug, Clone)]
pub struct SeaDashboardStamps {
    db: Db,
}

impl SeaDashboardStamps {
    /// Stamps read through `db`'s reading connections.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl Stamps for SeaDashboardStamps {
    async fn stamp(&self, user: UserId) -> Result<Stamp, RepoError> {
        let conn = self.db.reads();
        let statement = Statement::from_sql_and_values(conn.get_database_backend(), STAMP, [user.as_uuid().into()]);
        let row = conn.query_one(statement).await.repo()?.ok_or(RepoError::NotFound)?;
        let part = |name: &str| row.try_get::<i64>("", name).map(i64::unsigned_abs).repo();
        Ok(Stamp { boards: part("boards")?, board_revisions: part("board_revisions")?, personal: part("personal")? })
    }
}
