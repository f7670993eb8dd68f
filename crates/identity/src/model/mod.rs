//! Identity's entities and value types. A value that exists is valid.

mod session;
mod sso;
mod token;
mod user;

pub use session::{NewSession, Session, SessionKey, SessionPolicy};
pub use sso::{
    AuthorizationRequest, ExternalIdentity, LinkedIdentity, PendingSsoLogin, SsoCallback, SsoFailure, SsoProviderInfo,
};
pub use token::{AccessToken, Scope, ScopeSet, TokenName};
pub use user::{DisplayName, Email, NewUser, Password, PasswordHash, Role, User, UserPatch, UserStatus};
