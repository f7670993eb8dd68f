use std::fmt;

use chrono::{DateTime, Utc};
use kernel::{UserId, Version};

use crate::IdentityError;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// UUIDv7.
    pub id: UserId,
    /// Unique, compared case-insensitively (stored lower-cased).
    pub email: Email,
    /// The name shown to others.
    pub display_name: DisplayName,
    /// What the user may administer.
    pub role: Role,
    /// Disabled users cannot sign in and their sessions and tokens stop working.
    pub status: UserStatus,
    /// The argon2id PHC string; `None` for accounts that only sign in through SSO.
    pub password_hash: Option<PasswordHash>,
    /// Optimistic concurrency.
    pub version: Version,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// Whether the user is an active administrator.
    pub fn is_active_admin(&self) -> bool {
        self.role == Role::Admin && self.status == UserStatus::Active
    }
}

/// An email address, trimmed and lower-cased so that uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@` with text on both sides, a dot in the domain, at most 254
    /// characters (as given, surrounding whitespace trimmed), no whitespace or control character.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let given = raw.trim();
        let invalid = || IdentityError::invalid("email", "must be an email address");
        if given.chars().count() > 254 {
            return Err(invalid());
        }
        let email = given.to_lowercase();
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name: 1 to 100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a display name.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(1..=100).contains(&len) {
            return Err(IdentityError::invalid("display_name", "must be 1 to 100 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(IdentityError::invalid("display_name", "must not contain control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user may administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages users and sees every audit event.
    Admin,
    /// Everyone else.
    Member,
}

impl Role {
    /// `admin` or `member`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    /// Parses `admin` or `member`.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        match raw {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            _ => Err(IdentityError::invalid("role", "must be admin or member")),
        }
    }
}

/// Whether an account can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Can sign in.
    Active,
    /// Cannot sign in; existing sessions and tokens are refused.
    Disabled,
}

impl UserStatus {
    /// `active` or `disabled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    /// Parses `active` or `disabled`.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        match raw {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(IdentityError::invalid("status", "must be active or disabled")),
        }
    }
}

/// A plaintext password on its way to the hasher. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Minimum length, per OWASP's guidance for single-factor passwords.
    pub const MIN_CHARS: usize = 8;
    /// Maximum length, so that hashing cost stays bounded.
    pub const MAX_CHARS: usize = 128;

    /// A new password being set: 8 to 128 characters.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let len = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&len) {
            return Err(IdentityError::invalid("password", "must be 8 to 128 characters"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password offered at sign-in: not checked against the policy (an old password may
    /// predate it), only bounded so that hashing stays cheap.
    pub fn candidate(raw: &str) -> Option<Self> {
        (raw.chars().count() <= Self::MAX_CHARS).then(|| Self(raw.to_owned()))
    }

    /// The plaintext, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A PHC-format password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a stored PHC string.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// What an administrator gives to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The address, unique.
    pub email: Email,
    /// The name shown to others.
    pub display_name: DisplayName,
    /// Set to sign in with a password; `None` for SSO-only accounts.
    pub password: Option<Password>,
    /// The role.
    pub role: Role,
}

/// A partial update of a user; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New role.
    pub role: Option<Role>,
    /// New status.
    pub status: Option<UserStatus>,
    /// New password.
    pub password: Option<Password>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_to_lower_case() {
        assert_eq!(Email::parse("  Ann@Example.COM ").map(|e| e.0).ok(), Some("ann@example.com".into()));
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in ["", "ann", "@x.io", "ann@", "ann@x", "a b@x.io", "a@b@c.io", "ann@.io"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn password_policy_bounds_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("long enough").is_ok());
        assert!(Password::candidate(&"x".repeat(129)).is_none());
    }

    #[test]
    fn password_debug_does_not_leak() {
        let p = Password::parse("hunter2hunter2").map(|p| format!("{p:?}"));
        assert_eq!(p.ok().as_deref(), Some("Password(***)"));
    }
}
