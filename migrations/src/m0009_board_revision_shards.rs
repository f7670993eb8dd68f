//! A board's revision kept in eight counters instead of one row (decision 0035): every change
//! still advances it by one in its own transaction, but concurrent changes to one board no
//! longer wait for each other's commit on a single row lock.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Each existing board's revision moves to its first counter; the others start at 0.
const UP: &str = "
    CREATE TABLE board_revision_shards (
        board_id UUID NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
        shard SMALLINT NOT NULL,
        revision BIGINT NOT NULL,
        PRIMARY KEY (board_id, shard)
    );
    WITH shards (shard) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7))
    INSERT INTO board_revision_shards (board_id, shard, revision)
        SELECT r.board_id, s.shard, CASE WHEN s.shard = 0 THEN r.revision ELSE 0 END
        FROM board_revisions r CROSS JOIN shards s;
    DROP TABLE board_revisions
";

/// Back to one row per board, holding the sum.
const DOWN: &str = "
    CREATE TABLE board_revisions (
        board_id UUID PRIMARY KEY REFERENCES boards (id) ON DELETE CASCADE,
        revision BIGINT NOT NULL
    );
    INSERT INTO board_revisions (board_id, revision)
        SELECT board_id, SUM(revision) FROM board_revision_shards GROUP BY board_id;
    DROP TABLE board_revision_shards
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
