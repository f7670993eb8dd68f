//! Rate limits (decision 0050): requests counted per key in fixed windows aligned to the
//! epoch. The port counts; which keys a request counts against and how many it may make is the
//! inbound adapter's policy.

use std::time::Duration;

use crate::RepoError;

/// Where request counts live: Redis in production (shared by every instance), the process's
/// memory otherwise.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request against each of `keys` in the current `window` and returns each
    /// key's count in that window, this request included, in the order of `keys`, and the
    /// time left until the window ends.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when the store does not answer.
    async fn hit(&self, keys: &[String], window: Duration) -> Result<Hits, RepoError>;
}

/// What [`RateLimiter::hit`] counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hits {
    /// Each key's count in the current window, this request included.
    pub counts: Vec<u64>,
    /// Until the window ends and the counts start again.
    pub reset: Duration,
}

/// The current window of length `window` at `now_ms` (milliseconds since the epoch): its
/// number, and the time left in it.
pub fn window_at(now_ms: u64, window: Duration) -> (u64, Duration) {
    let length = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    (now_ms / length, Duration::from_millis(length - now_ms % length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        let minute = Duration::from_mins(1);
        assert_eq!(window_at(0, minute), (0, minute));
        assert_eq!(window_at(59_999, minute), (0, Duration::from_millis(1)));
        assert_eq!(window_at(60_000, minute), (1, minute));
        assert_eq!(window_at(90_500, minute), (1, Duration::from_millis(29_500)));
    }
}
