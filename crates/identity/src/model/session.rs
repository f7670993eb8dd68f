use chrono::{DateTime, Duration, Utc};
use kernel::{SessionId, UserId};

/// A server-side browser session. The cookie holds a random secret; the store only knows its
/// digest ([`SessionKey`]), so a leaked store does not leak usable cookies.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The public handle, used to list and revoke sessions.
    pub id: SessionId,
    /// The signed-in user.
    pub user_id: UserId,
    /// The token unsafe cookie-authenticated requests must echo in `X-CSRF-Token`.
    pub csrf_token: String,
    /// Sign-in time.
    pub created_at: DateTime<Utc>,
    /// Last request seen (updated at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// When the session ends if unused.
    pub idle_expires_at: DateTime<Utc>,
    /// When the session ends whatever happens.
    pub absolute_expires_at: DateTime<Utc>,
    /// The client's IP at sign-in.
    pub client_ip: Option<String>,
    /// The client's user agent at sign-in.
    pub user_agent: Option<String>,
    /// The SSO provider the user signed in through (`None` for a password sign-in); sign-out
    /// ends the provider's session too when it can.
    pub sso_provider: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("csrf_token", &"***")
            .field("created_at", &self.created_at)
            .field("idle_expires_at", &self.idle_expires_at)
            .field("absolute_expires_at", &self.absolute_expires_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Whether the session has ended at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.idle_expires_at || now >= self.absolute_expires_at
    }

    /// The session's end, when stores should forget it.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.idle_expires_at.min(self.absolute_expires_at)
    }
}

/// The digest of a session secret, under which the store keeps the session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(String);

impl SessionKey {
    /// The key for a cookie secret.
    pub fn from_secret(secret: &str) -> Self {
        Self(crate::hash_secret(secret))
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session that was just created: the secret goes into the cookie, once.
#[derive(Clone)]
pub struct NewSession {
    /// The session as stored.
    pub session: Session,
    /// The cookie value.
    pub secret: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("session", &self.session).field("secret", &"***").finish()
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Unused for this long, a session ends.
    pub idle_timeout: Duration,
    /// Whatever happens, a session ends this long after sign-in.
    pub absolute_timeout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_timeout: Duration::hours(12), absolute_timeout: Duration::days(7) }
    }
}
