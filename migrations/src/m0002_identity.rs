//! Users, personal access tokens, and sessions (the SQL session store of the embedded mode).

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
            CREATE TABLE users (
                id UUID PRIMARY KEY,
                email TEXT NOT NULL,
                display_name TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
                status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
                password_hash TEXT,
                version BIGINT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                CONSTRAINT users_email_key UNIQUE (email)
            );
            CREATE TABLE access_tokens (
                id UUID PRIMARY KEY,
                user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                display_prefix TEXT NOT NULL,
                secret_hash TEXT NOT NULL UNIQUE,
                scopes TEXT NOT NULL,
                expires_at TIMESTAMPTZ,
                last_used_at TIMESTAMPTZ,
                created_at TIMESTAMPTZ NOT NULL
            );
            CREATE INDEX access_tokens_user ON access_tokens (user_id, id);
            CREATE TABLE sessions (
                key TEXT PRIMARY KEY,
                id UUID NOT NULL UNIQUE,
                user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                last_seen_at TIMESTAMPTZ NOT NULL,
                idle_expires_at TIMESTAMPTZ NOT NULL,
                absolute_expires_at TIMESTAMPTZ NOT NULL,
                client_ip TEXT,
                user_agent TEXT
            );
            CREATE INDEX sessions_user ON sessions (user_id)
            ",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, "DROP TABLE sessions; DROP TABLE access_tokens; DROP TABLE users").await
    }
}
