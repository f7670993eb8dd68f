//! Rows into domain values. A row that does not parse is a broken invariant, not bad input.

use identity::{AccessToken, DisplayName, Email, PasswordHash, Role, ScopeSet, Session, TokenName, User, UserStatus};
use kernel::{RepoError, SessionId, TokenId, UserId, Version};

use crate::entity::{access_token, session, user};

fn corrupt(what: &str) -> impl FnOnce(identity::IdentityError) -> RepoError + '_ {
    move |e| RepoError::Unexpected(anyhow::anyhow!("stored {what} does not parse: {e}"))
}

pub(super) fn user_from_row(row: user::Model) -> Result<User, RepoError> {
    Ok(User {
        id: UserId::from_uuid(row.id),
        email: Email::parse(&row.email).map_err(corrupt("email"))?,
        display_name: DisplayName::parse(&row.display_name).map_err(corrupt("display name"))?,
        role: Role::parse(&row.role).map_err(corrupt("role"))?,
        status: UserStatus::parse(&row.status).map_err(corrupt("status"))?,
        password_hash: row.password_hash.map(PasswordHash::from_phc),
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn user_to_row(user: &User) -> user::Model {
    user::Model {
        id: user.id.as_uuid(),
        email: user.email.as_str().to_owned(),
        display_name: user.display_name.as_str().to_owned(),
        role: user.role.as_str().to_owned(),
        status: user.status.as_str().to_owned(),
        password_hash: user.password_hash.as_ref().map(|h| h.as_str().to_owned()),
        version: user.version.get(),
        created_at: user.created_at,
        updated_at: user.updated_at,
    }
}

pub(super) fn token_from_row(row: access_token::Model) -> Result<AccessToken, RepoError> {
    let scopes: Vec<&str> = row.scopes.split_ascii_whitespace().collect();
    Ok(AccessToken {
        id: TokenId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        name: TokenName::parse(&row.name).map_err(corrupt("token name"))?,
        display_prefix: row.display_prefix,
        scopes: ScopeSet::parse(&scopes).map_err(corrupt("scopes"))?,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        created_at: row.created_at,
    })
}

pub(super) fn token_to_row(token: &AccessToken, secret_hash: &str) -> access_token::Model {
    access_token::Model {
        id: token.id.as_uuid(),
        user_id: token.user_id.as_uuid(),
        name: token.name.as_str().to_owned(),
        display_prefix: token.display_prefix.clone(),
        secret_hash: secret_hash.to_owned(),
        scopes: token.scopes.names().join(" "),
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
        created_at: token.created_at,
    }
}

pub(super) fn session_from_row(row: session::Model) -> Session {
    Session {
        id: SessionId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        csrf_token: row.csrf_token,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
        idle_expires_at: row.idle_expires_at,
        absolute_expires_at: row.absolute_expires_at,
        client_ip: row.client_ip,
        user_agent: row.user_agent,
        sso_provider: row.sso_provider,
    }
}

pub(super) fn session_to_row(key: &str, s: &Session) -> session::Model {
    session::Model {
        key: key.to_owned(),
        id: s.id.as_uuid(),
        user_id: s.user_id.as_uuid(),
        csrf_token: s.csrf_token.clone(),
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
        idle_expires_at: s.idle_expires_at,
        absolute_expires_at: s.absolute_expires_at,
        client_ip: s.client_ip.clone(),
        user_agent: s.user_agent.clone(),
        sso_provider: s.sso_provider.clone(),
    }
}
