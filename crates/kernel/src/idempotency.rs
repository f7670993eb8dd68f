//! Idempotency records (`Idempotency-Key`, decision 0048): the first answer to a request, kept
//! so that a client retrying the same request with the same key gets that answer again instead
//! of a second execution. The port sees opaque keys, fingerprints and records; what they are
//! made of is the inbound adapter's business.

use std::time::Duration;

use crate::RepoError;

/// What a [`IdempotencyStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: the caller now holds it and executes the request.
    Acquired,
    /// A request with this key and the same fingerprint is being executed.
    InFlight,
    /// A request with this key and the same fingerprint was answered: the record of its answer.
    Completed(Vec<u8>),
    /// The key was used for a request with another fingerprint.
    Mismatch,
}

/// Where idempotency records live: Redis in production, the process's memory otherwise.
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Takes `key` for a request with `fingerprint`, unless a record or a holder exists. A
    /// holder that neither completes nor releases loses the key after `lease` (a crashed
    /// instance does not block the key for a day).
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer; `Unexpected` for a record that
    /// cannot be read.
    async fn claim(&self, key: &str, fingerprint: &str, lease: Duration) -> Result<Claim, RepoError>;

    /// Keeps `record` as the answer to the request holding `key`, for `ttl`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer.
    async fn complete(&self, key: &str, fingerprint: &str, record: &[u8], ttl: Duration) -> Result<(), RepoError>;

    /// Gives `key` up without a record (the request failed in a way a retry may fix), if it is
    /// still held for `fingerprint`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer.
    async fn release(&self, key: &str, fingerprint: &str) -> Result<(), RepoError>;
}
