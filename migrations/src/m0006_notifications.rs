//! The scheduler's tables: `reminder_occurrences` and `notifications`.
//!
//! - `reminder_occurrences` has one row per fired occurrence, keyed by `(reminder_id, due_at)`:
//!   the unique key is what makes a firing happen once in effect. Workers insert it with
//!   `ON CONFLICT DO NOTHING` in the same transaction as the notification and the event, so a
//!   second instance (or a retry after a crash between claim and commit) finds it taken and
//!   creates nothing. `late` records whether it fired after the grace period.
//! - `notifications` is a user's in-app feed. `reminder_id` has no foreign key: a notification
//!   outlives the reminder that caused it. `notifications_user (user_id, id)` serves the keyset
//!   list; `notifications_unread` (partial, unread only) serves the unread count and filter.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE reminder_occurrences (
        reminder_id UUID NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        fired_at TIMESTAMPTZ NOT NULL,
        late BOOLEAN NOT NULL,
        PRIMARY KEY (reminder_id, due_at)
    );
    CREATE TABLE notifications (
        id UUID PRIMARY KEY,
        user_id UUID NOT NULL REFERENCES users (id),
        reminder_id UUID,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        late BOOLEAN NOT NULL,
        read_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX notifications_user ON notifications (user_id, id);
    CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL
";

const DOWN: &str = "DROP TABLE notifications; DROP TABLE reminder_occurrences";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
