//! Optimistic concurrency.

use std::fmt;

/// The version of a mutable resource; it grows by one on every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(i64);

impl Version {
    /// The version a resource has when it is created.
    pub const FIRST: Self = Self(1);

    /// Wraps a stored version.
    pub const fn new(v: i64) -> Self {
        Self(v)
    }

    /// The stored number.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The version after one more change.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
