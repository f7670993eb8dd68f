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
    AccessToken, DisplayName, Email, NewSession, NewUser, Password, PasswordHash, Role, Scope, ScopeSet, Session,
    SessionKey, SessionPolicy, TokenName, User, UserPatch, UserStatus,
};
pub use password::Argon2Hasher;
pub use ports::{IdentityStore, IdentityTx, PasswordHasher, SessionStore};
pub use secret::{TOKEN_PREFIX, hash_secret};
pub use service::{Authenticated, Credential, IdentityService, LoginOutcome};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockIdentityStore, MockIdentityTx, MockPasswordHasher, MockSessionStore};
