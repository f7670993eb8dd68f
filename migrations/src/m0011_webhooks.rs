//! Webhooks (decision 0049): `webhooks` (subscriptions), `webhook_deliveries` (one event for
//! one webhook, and the queue of attempts) and `webhook_attempts` (each HTTP attempt).
//!
//! - A delivery is unique per `(webhook_id, event_id)`, so a fan-out repeated after a crash
//!   queues nothing twice. `webhook_deliveries_due` (partial: pending only) is the queue the
//!   workers claim from, earliest first; `webhook_deliveries_list` serves the newest-first list.
//! - `webhook_attempts` serves a delivery's attempts by `(delivery_id, id)`.
//! - Deleting a webhook deletes its deliveries and their attempts (`ON DELETE CASCADE`;
//!   SQLite connections enforce foreign keys).

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE webhooks (
        id UUID PRIMARY KEY,
        owner_id UUID NOT NULL REFERENCES users (id),
        url TEXT NOT NULL,
        description TEXT NOT NULL,
        event_types TEXT NOT NULL,
        secret TEXT NOT NULL,
        active BOOLEAN NOT NULL,
        disabled_reason TEXT,
        failing_since TIMESTAMPTZ,
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX webhooks_owner ON webhooks (owner_id, id);
    CREATE TABLE webhook_deliveries (
        id UUID PRIMARY KEY,
        webhook_id UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id UUID NOT NULL,
        event_type TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TIMESTAMPTZ,
        last_attempt_at TIMESTAMPTZ,
        last_status_code INTEGER,
        round_started_at TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        UNIQUE (webhook_id, event_id)
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);
    CREATE TABLE webhook_attempts (
        id UUID PRIMARY KEY,
        delivery_id UUID NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempted_at TIMESTAMPTZ NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
    );
    CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id)
";

const DOWN: &str = "DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries; DROP TABLE webhooks";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
