use chrono::{DateTime, Utc};

/// How a configured OpenID provider is shown and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProviderInfo {
    /// The id in `/auth/oidc/{id}/login` (letters, digits, `-`, `_`).
    pub id: String,
    /// The label of the sign-in button.
    pub display_name: String,
    /// The issuer identifier; identities are linked by (issuer, subject).
    pub issuer: String,
    /// Whether a first sign-in creates a user.
    pub create_users: bool,
    /// Whether a verified email may link to an existing account.
    pub trust_email: bool,
}

/// A sign-in begun at a provider and not yet finished: what the callback must match. Kept
/// server side under the digest of a random secret held in a short-lived browser cookie, and
/// taken (read and deleted) exactly once.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingSsoLogin {
    /// The provider the browser was sent to.
    pub provider: String,
    /// The `state` parameter sent in the authorization request.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier (S256).
    pub pkce_verifier: String,
    /// When the attempt began.
    pub created_at: DateTime<Utc>,
    /// When the attempt stops being accepted.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for PendingSsoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSsoLogin")
            .field("provider", &self.provider)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Where to send the browser, and what to remember until it comes back.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// `state`, `nonce` and the PKCE verifier generated for it.
    pub state: String,
    /// The nonce the ID token must echo.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
}

/// What the provider sent back to the callback.
#[derive(Debug, Clone, Default)]
pub struct SsoCallback {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` echoed by the provider.
    pub state: Option<String>,
    /// The `iss` parameter (RFC 9207), when the provider sends one.
    pub iss: Option<String>,
    /// An error code such as `access_denied`.
    pub error: Option<String>,
}

/// A person as a provider vouched for them in a verified ID token.
#[derive(Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The token's `iss`.
    pub issuer: String,
    /// The token's `sub`.
    pub subject: String,
    /// The `email` claim.
    pub email: Option<String>,
    /// The `email_verified` claim (false when absent).
    pub email_verified: bool,
    /// The `name` claim (or `preferred_username`).
    pub name: Option<String>,
}

impl std::fmt::Debug for ExternalIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalIdentity")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("email_verified", &self.email_verified)
            .finish_non_exhaustive()
    }
}

/// Why a sign-in through a provider was refused. Each variant is a reason the sign-in page can
/// show; none says more than the user needs (no token contents, no provider internals).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoFailure {
    /// No such provider is configured.
    #[error("unknown provider")]
    UnknownProvider,
    /// The browser came back without a matching, live, unused sign-in attempt (missing,
    /// replayed or expired `state`, or another browser's callback).
    #[error("the sign-in attempt is missing, expired or already used")]
    InvalidState,
    /// The provider answered with an error (for example the user declined consent).
    #[error("the provider refused the sign-in: {0}")]
    ProviderError(String),
    /// The `iss` parameter of the response names another issuer (mix-up defence).
    #[error("the response came from another issuer")]
    IssuerMismatch,
    /// The code could not be exchanged, or the ID token failed verification.
    #[error("the provider's answer could not be verified: {0}")]
    InvalidToken(String),
    /// The provider could not be reached in time.
    #[error("the provider could not be reached: {0}")]
    Unavailable(String),
    /// No account is linked and this provider may not create one.
    #[error("no account is linked to this identity")]
    NoAccount,
    /// The linked account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// An account with this email exists but may not be linked automatically.
    #[error("an account with this email exists; it can't be linked automatically")]
    EmailNotLinkable,
}

impl SsoFailure {
    /// A stable, short code for URLs, logs and audit records.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownProvider => "unknown_provider",
            Self::InvalidState => "invalid_state",
            Self::ProviderError(_) => "provider_error",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::InvalidToken(_) => "invalid_token",
            Self::Unavailable(_) => "provider_unavailable",
            Self::NoAccount => "no_account",
            Self::AccountDisabled => "account_disabled",
            Self::EmailNotLinkable => "email_not_linkable",
        }
    }
}

/// A provider identity linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// The user.
    pub user_id: kernel::UserId,
    /// The configured provider it came through.
    pub provider: String,
    /// The issuer.
    pub issuer: String,
    /// The subject at that issuer.
    pub subject: String,
    /// When it was linked.
    pub created_at: DateTime<Utc>,
}
