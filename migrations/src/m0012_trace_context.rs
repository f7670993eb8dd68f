//! The trace context an event was made in (decision 0053): the W3C `traceparent` of the request
//! that caused it, kept with its outbox row and copied to each delivery queued from it, so a
//! webhook request continues the trace of the change it reports. Nullable: events made outside
//! a traced request (workers, the CLI) and rows written before this migration have none.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    ALTER TABLE outbox_events ADD COLUMN traceparent TEXT;
    ALTER TABLE webhook_deliveries ADD COLUMN traceparent TEXT
";

const DOWN: &str =
    "ALTER TABLE webhook_deliveries DROP COLUMN traceparent; ALTER TABLE outbox_events DROP COLUMN traceparent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
