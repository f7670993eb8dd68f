//! Reminders: the `reminders` table. The scheduler's occurrence and notification tables come
//! with the worker.
//!
//! - `timezone` is the IANA name and `recurrence` the rule's canonical text (the RRULE value
//!   without its prefix); both are parsed again on every read, so the domain's value types stay
//!   the only judges of what is valid (decision 0020).
//! - A target is a `(target_kind, target_id)` pair without a foreign key: it may name a card or
//!   a note, and a reminder outlives what it points at (the owner still wants to be reminded).
//! - `reminders_due` is the scheduler's index: scheduled reminders only, by `next_fire_at`.
//!   Both dialects accept partial indexes.
//! - The owner references users without cascade, as authorship does elsewhere: users are
//!   disabled, never deleted.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE reminders (
        id UUID PRIMARY KEY,
        owner_id UUID NOT NULL REFERENCES users (id),
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        remind_at TIMESTAMPTZ NOT NULL,
        timezone TEXT NOT NULL,
        recurrence TEXT,
        target_kind TEXT CHECK (target_kind IN ('card', 'note')),
        target_id UUID,
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'completed', 'cancelled')),
        next_fire_at TIMESTAMPTZ,
        snoozed_until TIMESTAMPTZ,
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        CHECK ((target_kind IS NULL) = (target_id IS NULL))
    );
    CREATE INDEX reminders_owner ON reminders (owner_id, id);
    CREATE INDEX reminders_due ON reminders (next_fire_at) WHERE status = 'scheduled'
";

const DOWN: &str = "DROP TABLE reminders";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
