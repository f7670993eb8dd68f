//! Who is acting, and from where.

use crate::{TokenId, UserId};

/// The author of a change, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user (session cookie).
    User(UserId),
    /// A user acting through one of their personal access tokens.
    Token {
        /// The token's owner.
        user: UserId,
        /// The token used.
        token: TokenId,
    },
    /// Corkboard itself (workers, the CLI).
    System,
    /// Nobody signed in yet (a failed sign-in, for instance).
    Anonymous,
}

impl Actor {
    /// `user`, `token`, `system` or `anonymous`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Token { .. } => "token",
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }

    /// The user behind the actor, if any.
    pub const fn user_id(&self) -> Option<UserId> {
        match self {
            Self::User(u) | Self::Token { user: u, .. } => Some(*u),
            Self::System | Self::Anonymous => None,
        }
    }
}

/// Facts about the request that caused a change, carried into its audit event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The request id (`X-Request-Id`).
    pub request_id: Option<String>,
    /// The W3C trace id, when the request carried or started a trace.
    pub trace_id: Option<String>,
    /// The W3C `traceparent` naming the request's place in that trace (its exported span, else
    /// the caller's), carried to the webhook requests its events cause.
    pub traceparent: Option<String>,
    /// The client's IP address.
    pub client_ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// An authenticated caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user on whose behalf the call is made.
    pub user_id: UserId,
    /// Whether that user is an administrator.
    pub is_admin: bool,
    /// How the caller authenticated, for the audit log.
    pub actor: Actor,
    /// Where the call came from.
    pub meta: RequestMeta,
}

impl Caller {
    /// A caller for tests and the CLI.
    pub fn user(user_id: UserId, is_admin: bool) -> Self {
        Self { user_id, is_admin, actor: Actor::User(user_id), meta: RequestMeta::default() }
    }
}
