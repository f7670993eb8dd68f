//! Board revisions: one row per board counting the committed changes to what its view shows
//! (board fields, members, columns, cards, labels), advanced by the unit of work that records
//! the change's event, in the same transaction. A reader holding a copy of a board's view
//! checks it with one indexed read instead of reading the whole board again.
//!
//! A table of its own rather than a column of `boards`: the row is locked from the increment to
//! the commit, and nothing else ever locks it, so writers of the same board wait for each other
//! only there and cannot deadlock with the row locks of `boards` and `board_columns`.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE board_revisions (
        board_id UUID PRIMARY KEY REFERENCES boards (id) ON DELETE CASCADE,
        revision BIGINT NOT NULL
    );
    INSERT INTO board_revisions (board_id, revision) SELECT id, 0 FROM boards
";

const DOWN: &str = "DROP TABLE board_revisions";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
