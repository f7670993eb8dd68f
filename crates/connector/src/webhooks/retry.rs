//! When a failed delivery is tried again: exponential backoff with jitter, for about a day.
//!
//! The wait after a failure is as long as the round has lasted so far (at least
//! [`FIRST_WAIT`], at most [`MAX_WAIT`]): waits double from 30 seconds without counting
//! attempts, and a re-sent delivery starts again from the shortest wait.

use chrono::{DateTime, Duration, Utc};

/// The shortest wait, after the round's first attempt.
pub const FIRST_WAIT: Duration = Duration::seconds(30);
/// The longest wait between two attempts.
pub const MAX_WAIT: Duration = Duration::hours(6);
/// How long a round of attempts lasts: no attempt is scheduled later than this after the
/// round began, so the last one comes some 18–24 hours in (fourteen attempts without jitter).
pub const ROUND: Duration = Duration::hours(24);

/// When to try again after an attempt of the round that began at `round_started_at` failed
/// at `failed_at`, or `None` to give up. `jitter` in `[0, 1)` spreads the wait over ±20 % so
/// that deliveries that failed together do not come back together.
pub fn next_attempt(failed_at: DateTime<Utc>, round_started_at: DateTime<Utc>, jitter: f64) -> Option<DateTime<Utc>> {
    let wait = (failed_at - round_started_at).clamp(FIRST_WAIT, MAX_WAIT);
    let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "at most 6 h × 1.2 in milliseconds"
    )]
    let wait = Duration::milliseconds((wait.num_milliseconds() as f64 * spread) as i64);
    let at = failed_at + wait;
    (at <= round_started_at + ROUND).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2026-12-04T00:00:00Z".parse().unwrap()
    }

    /// Every attempt's time into the round, in seconds, when all of them fail.
    fn schedule(jitter: f64) -> Vec<i64> {
        let mut at = vec![t0()];
        while let Some(next) = next_attempt(*at.last().unwrap(), t0(), jitter) {
            at.push(next);
        }
        at.iter().map(|t| (*t - t0()).num_seconds()).collect()
    }

    #[test]
    fn waits_double_from_thirty_seconds_up_to_six_hours_for_about_a_day() {
        let plain = schedule(0.5);
        assert_eq!(plain[..6], [0, 30, 60, 120, 240, 480]);
        assert_eq!(plain.len(), 14);
        let waits: Vec<i64> = plain.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(waits[waits.len() - 2..], [6 * 3600; 2]);
        assert!(*plain.last().unwrap() > 18 * 3600 && *plain.last().unwrap() <= 24 * 3600);
    }

    #[test]
    fn jitter_spreads_a_wait_by_a_fifth_either_way_and_the_round_still_ends_within_a_day() {
        let at = |j| (next_attempt(t0(), t0(), j).unwrap() - t0()).num_milliseconds();
        assert_eq!((at(0.0), at(0.5), at(0.999_999)), (24_000, 30_000, 35_999));
        for jitter in [0.0, 0.999_999] {
            let last = *schedule(jitter).last().unwrap();
            assert!(last > 12 * 3600 && last <= 24 * 3600, "{jitter}: {last}");
        }
    }
}
