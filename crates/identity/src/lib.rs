//! The identity domain: users, local password sign-in, server-side sessions and personal
//! access tokens. It declares the ports it needs (user storage, session storage, password
//! hashing) and knows nothing of HTTP, SQL or Redis.

mod error;
pub mod model;
mod password;
pub mod ports;
mod secret;
mod service;

pub use error::IdentityError;
pub use model::{
    AccessToken, AuthorizationRequest, DisplayName, Email, ExternalIdentity, LinkedIdentity, NewSession, NewUser,
    Password, PasswordHash, PendingSsoLogin, Role, Scope, ScopeSet, Session, SessionKey, SessionPolicy, SsoCallback,
    SsoFailure, SsoProviderInfo, TokenName, User, UserPatch, UserStatus,
};
pub use password::Argon2Hasher;
pub use ports::{IdentityProvider, IdentityStore, IdentityTx, PasswordHasher, SessionStore, SsoLoginStore};
pub use secret::{TOKEN_PREFIX, hash_secret};
pub use service::{Authenticated, Credential, IdentityService, LoginOutcome, SSO_ATTEMPT_TTL, SsoStart};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{
    MockIdentityProvider, MockIdentityStore, MockIdentityTx, MockPasswordHasher, MockSessionStore, MockSsoLoginStore,
};
