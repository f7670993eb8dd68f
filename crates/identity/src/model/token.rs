use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use kernel::{TokenId, UserId};

use crate::IdentityError;

/// A personal access token. Only its digest is stored; the secret is shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The public handle.
    pub id: TokenId,
    /// The owner.
    pub user_id: UserId,
    /// What the owner called it.
    pub name: TokenName,
    /// The first characters of the secret, so the owner can recognise it.
    pub display_prefix: String,
    /// What it may do.
    pub scopes: ScopeSet,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last time it authenticated a request (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl AccessToken {
    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

/// A token's name: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    /// Parses a name.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let name = raw.trim();
        if !(1..=100).contains(&name.chars().count()) {
            return Err(IdentityError::invalid("name", "must be 1 to 100 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(IdentityError::invalid("name", "must not contain control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! scopes {
    ($($variant:ident => $name:literal, $doc:literal;)+) => {
        /// A permission a token can carry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Scope {
            $(#[doc = $doc] $variant,)+
        }

        impl Scope {
            /// Every scope.
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),+];

            /// The scope's name (`boards:read`).
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)+ }
            }

            /// Parses a scope name.
            pub fn parse(raw: &str) -> Result<Self, IdentityError> {
                match raw {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(IdentityError::invalid("scopes", format!("unknown scope '{raw}'"))),
                }
            }
        }
    };
}

scopes! {
    BoardsRead => "boards:read", "Read boards, columns, cards, labels and comments.";
    BoardsWrite => "boards:write", "Change boards and everything on them.";
    NotesRead => "notes:read", "Read notes.";
    NotesWrite => "notes:write", "Change notes.";
    RemindersRead => "reminders:read", "Read reminders and notifications.";
    RemindersWrite => "reminders:write", "Change reminders and notifications.";
    AuditRead => "audit:read", "Read the audit log.";
    WebhooksManage => "webhooks:manage", "Manage webhook subscriptions.";
    UsersManage => "users:manage", "Administer users (the owner must be an administrator).";
}

/// A non-empty set of scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses scope names; at least one, no unknown names.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, IdentityError> {
        let set = names.iter().map(|n| Scope::parse(n.as_ref())).collect::<Result<BTreeSet<_>, _>>()?;
        if set.is_empty() {
            return Err(IdentityError::invalid("scopes", "at least one scope is required"));
        }
        Ok(Self(set))
    }

    /// Whether the set grants `scope`. A write scope implies the matching read scope.
    pub fn allows(&self, scope: Scope) -> bool {
        let implied_by = match scope {
            Scope::BoardsRead => Some(Scope::BoardsWrite),
            Scope::NotesRead => Some(Scope::NotesWrite),
            Scope::RemindersRead => Some(Scope::RemindersWrite),
            _ => None,
        };
        self.0.contains(&scope) || implied_by.is_some_and(|s| self.0.contains(&s))
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_scope_implies_read() {
        let set = ScopeSet::parse(&["boards:write"]).ok();
        assert!(set.as_ref().is_some_and(|s| s.allows(Scope::BoardsRead)));
        assert!(set.as_ref().is_some_and(|s| !s.allows(Scope::NotesRead)));
    }

    #[test]
    fn unknown_or_empty_scopes_are_refused() {
        assert!(ScopeSet::parse(&["boards:delete"]).is_err());
        assert!(ScopeSet::parse::<&str>(&[]).is_err());
    }

    #[test]
    fn every_scope_round_trips_through_its_name() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()).ok(), Some(*s));
        }
    }
}
