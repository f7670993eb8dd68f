//! Seals over the audit log (decision 0045): each event gets the seal that covers it and its
//! digest; each seal names the previous one's hash.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(
            manager,
            r"
            CREATE TABLE audit_seals (
                seq BIGINT PRIMARY KEY,
                prev_hash TEXT NOT NULL,
                sealed_at TIMESTAMPTZ NOT NULL,
                event_count BIGINT NOT NULL,
                hash TEXT NOT NULL
            );
            ALTER TABLE audit_events ADD COLUMN seal_seq BIGINT;
            ALTER TABLE audit_events ADD COLUMN digest TEXT;
            CREATE INDEX audit_events_unsealed ON audit_events (seq) WHERE seal_seq IS NULL;
            CREATE INDEX audit_events_sealed ON audit_events (seal_seq, seq) WHERE seal_seq IS NOT NULL
            ",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(
            manager,
            r"
            DROP INDEX audit_events_sealed;
            DROP INDEX audit_events_unsealed;
            ALTER TABLE audit_events DROP COLUMN digest;
            ALTER TABLE audit_events DROP COLUMN seal_seq;
            DROP TABLE audit_seals
            ",
        )
        .await
    }
}
