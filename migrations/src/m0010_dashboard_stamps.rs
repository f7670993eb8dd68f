//! What a dashboard's stamp is read from (decision 0046): the revision of each user's own data
//! (notes, reminders, notifications, the user's own changes), advanced with every such change
//! in its transaction, and the time of each board's last change, kept beside its revision.
//!
//! `user_revisions` is a counter, not a fact about the user: no foreign key, so recording an
//! event never depends on the `users` row (events name their actor by id only).

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE user_revisions (
        user_id UUID PRIMARY KEY,
        revision BIGINT NOT NULL
    );
    ALTER TABLE board_revisions ADD COLUMN changed_at TIMESTAMPTZ;
    UPDATE board_revisions SET changed_at = (SELECT b.updated_at FROM boards b WHERE b.id = board_revisions.board_id)
";

const DOWN: &str = "ALTER TABLE board_revisions DROP COLUMN changed_at; DROP TABLE user_revisions";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
