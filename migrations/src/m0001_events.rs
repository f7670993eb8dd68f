//! The audit log and the transactional outbox, written with every change.

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
            CREATE TABLE audit_events (
                seq {serial_pk},
                id UUID NOT NULL UNIQUE,
                occurred_at TIMESTAMPTZ NOT NULL,
                actor_type TEXT NOT NULL,
                actor_id UUID,
                token_id UUID,
                action TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                resource_id UUID NOT NULL,
                board_id UUID,
                changes JSONB NOT NULL,
                request_id TEXT,
                trace_id TEXT,
                client_ip TEXT,
                user_agent TEXT
            );
            CREATE INDEX audit_events_board ON audit_events (board_id, id);
            CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
            CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id, id);
            CREATE TABLE outbox_events (
                seq {serial_pk},
                id UUID NOT NULL UNIQUE,
                occurred_at TIMESTAMPTZ NOT NULL,
                event_type TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                resource_id UUID NOT NULL,
                board_id UUID,
                actor_user_id UUID,
                payload JSONB NOT NULL
            );
            ",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, "DROP TABLE outbox_events; DROP TABLE audit_events").await
    }
}
