//! What the identity domain needs from the outside world.

use chrono::{DateTime, Utc};
use kernel::{DomainEvent, Page, PageRequest, RepoError, SessionId, TokenId, UserId, Version};

use crate::model::{
    AccessToken, AuthorizationRequest, Email, ExternalIdentity, LinkedIdentity, Password, PasswordHash,
    PendingSsoLogin, Session, SessionKey, SsoFailure, SsoProviderInfo, User,
};

/// Where users and tokens live (the pool), and the door to a unit of work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait IdentityStore: Send + Sync {
    /// Opens a unit of work; dropping it without commit rolls back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn begin(&self) -> Result<Box<dyn IdentityTx>, RepoError>;

    /// A user by id.
    ///
    /// # Errors
    /// `RepoError::NotFound` when no such user exists.
    async fn get_user(&self, id: UserId) -> Result<User, RepoError>;

    /// A user by (normalised) email, or `None`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;

    /// The user linked to a provider's (issuer, subject), or `None`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn find_user_by_identity(&self, issuer: &str, subject: &str) -> Result<Option<User>, RepoError>;

    /// Users ordered by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn list_users(&self, page: PageRequest) -> Result<Page<User>, RepoError>;

    /// A token by the digest of its secret, with its owner, or `None`. Every request that
    /// presents a token needs both: an adapter reads them together (one statement).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn find_token_by_hash(&self, secret_hash: &str) -> Result<Option<(AccessToken, User)>, RepoError>;

    /// The user's tokens, ordered by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn list_tokens(&self, user: UserId, page: PageRequest) -> Result<Page<AccessToken>, RepoError>;

    /// Records that a token was used.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the token is gone.
    async fn touch_token(&self, id: TokenId, at: DateTime<Utc>) -> Result<(), RepoError>;
}

/// One transaction over identity's tables and the event log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait IdentityTx: Send + Sync {
    /// A user by id, read inside the transaction.
    ///
    /// # Errors
    /// `RepoError::NotFound` when no such user exists.
    async fn get_user(&self, id: UserId) -> Result<User, RepoError>;

    /// How many active administrators exist.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn count_active_admins(&self) -> Result<u64, RepoError>;

    /// Inserts a user.
    ///
    /// # Errors
    /// `RepoError::Conflict` (mentioning `email`) when the email is taken.
    async fn insert_user(&self, user: &User) -> Result<(), RepoError>;

    /// Writes `user` if the stored version is still `expected`.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the version is stale; `RepoError::NotFound` when the user is gone.
    async fn update_user(&self, user: &User, expected: Version) -> Result<(), RepoError>;

    /// Links a provider's (issuer, subject) to a user.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the identity is already linked.
    async fn link_identity(&self, link: &LinkedIdentity) -> Result<(), RepoError>;

    /// Inserts a token with the digest of its secret.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn insert_token(&self, token: &AccessToken, secret_hash: &str) -> Result<(), RepoError>;

    /// Deletes one of `user`'s tokens.
    ///
    /// # Errors
    /// `RepoError::NotFound` when `user` has no such token.
    async fn delete_token(&self, user: UserId, id: TokenId) -> Result<AccessToken, RepoError>;

    /// Appends a domain event (audit + outbox) in this transaction.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the database cannot be reached.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Commits.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the commit fails; nothing was written.
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Where sessions live: the SQL store in embedded mode, Redis in production.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session under `key`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn create(&self, key: &SessionKey, session: &Session) -> Result<(), RepoError>;

    /// The session stored under `key`, or `None` (expired sessions may be returned; the
    /// caller checks expiry).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, RepoError>;

    /// Records activity: new `last_seen_at` and `idle_expires_at`.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the session is gone.
    async fn touch(&self, key: &SessionKey, session: &Session) -> Result<(), RepoError>;

    /// Deletes the session under `key`; deleting a missing one is not an error.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn delete(&self, key: &SessionKey) -> Result<(), RepoError>;

    /// The user's live sessions, newest first.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<Session>, RepoError>;

    /// Deletes one of the user's sessions by its public id.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the user has no such session.
    async fn delete_by_id(&self, user: UserId, id: SessionId) -> Result<(), RepoError>;

    /// Deletes every session of the user (when the account is disabled).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn delete_all_for_user(&self, user: UserId) -> Result<(), RepoError>;
}

/// Password hashing, kept off the async runtime by the implementation.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a new password.
    ///
    /// # Errors
    /// Only if the hasher itself fails (a bug).
    async fn hash(&self, password: &Password) -> anyhow::Result<PasswordHash>;

    /// Whether `password` matches `hash`. With `hash = None` it still does the same work
    /// against a dummy hash, so an unknown account takes as long as a wrong password.
    async fn verify(&self, password: &Password, hash: Option<PasswordHash>) -> bool;
}

/// One configured OpenID provider, as a relying party sees it: builds authorization requests and
/// turns an authorization code into a verified identity.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The provider's id, label and policy.
    fn info(&self) -> &SsoProviderInfo;

    /// A fresh authorization request (code flow, PKCE S256, `state`, `nonce`).
    ///
    /// # Errors
    /// `SsoFailure::Unavailable` when discovery fails.
    async fn authorization_request(&self) -> Result<AuthorizationRequest, SsoFailure>;

    /// Exchanges `code` and verifies the ID token against `pending` (signature with the
    /// provider's current keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`). `iss` is the
    /// authorization response's issuer parameter, when sent.
    ///
    /// # Errors
    /// `SsoFailure::IssuerMismatch`, `InvalidToken` or `Unavailable`.
    async fn complete(
        &self,
        pending: &PendingSsoLogin,
        code: &str,
        iss: Option<String>,
    ) -> Result<ExternalIdentity, SsoFailure>;

    /// Where to send the browser to end its session at the provider (RP-initiated logout), if
    /// the provider has an end-session endpoint.
    async fn end_session_url(&self) -> Option<String>;
}

/// Sign-ins begun at a provider, kept until the browser comes back: each is taken once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait SsoLoginStore: Send + Sync {
    /// Stores an attempt under `key` (the digest of the browser's secret).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn put(&self, key: &SessionKey, pending: &PendingSsoLogin) -> Result<(), RepoError>;

    /// Removes and returns the attempt under `key`; a second call for the same key returns
    /// `None`, even when two race.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store cannot be reached.
    async fn take(&self, key: &SessionKey) -> Result<Option<PendingSsoLogin>, RepoError>;
}
