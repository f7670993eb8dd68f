//! Single sign-on: linked identities, sign-ins in flight, and the provider of a session.
//!
//! - `user_identities` links a provider's `(issuer, subject)` to a user; the pair is the key,
//!   so an identity links to one account only. `provider` is the configured id it came through.
//! - `sso_logins` holds sign-ins begun at a provider until the browser returns, under the
//!   digest of a secret in a short-lived cookie; the callback deletes the row it reads, so each
//!   is used once. `sso_logins_expiry` serves the sweep of abandoned attempts.
//! - `sessions.sso_provider` remembers where a session came from, for RP-initiated logout.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE user_identities (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (issuer, subject)
    );
    CREATE INDEX user_identities_user ON user_identities (user_id);
    CREATE TABLE sso_logins (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        state TEXT NOT NULL,
        nonce TEXT NOT NULL,
        pkce_verifier TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX sso_logins_expiry ON sso_logins (expires_at);
    ALTER TABLE sessions ADD COLUMN sso_provider TEXT
";

const DOWN: &str = "ALTER TABLE sessions DROP COLUMN sso_provider; DROP TABLE sso_logins; DROP TABLE user_identities";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
