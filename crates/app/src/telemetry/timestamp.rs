//! The time at the start of each log line, as tracing-subscriber's default timer writes it
//! (`2026-12-05T14:31:30.546988Z`: UTC, RFC 3339, microseconds), but with the date and the time
//! to the second worked out once a second on each thread, not for every line: that took 2,300
//! instructions of the 196,000 a fetch of a board cost (decision 0058).

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// `YYYY-MM-DDTHH:MM:SS`
const SECOND: usize = 19;
/// The second, then `.ffffffZ`.
const LINE: usize = SECOND + 8;

/// The log lines' timer.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Timestamp;

thread_local! {
    /// The second of the last line logged on this thread, and its text.
    static LAST_SECOND: Cell<(u64, [u8; SECOND])> = const { Cell::new((u64::MAX, [0; SECOND])) };
}

impl FormatTime for Timestamp {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        write_timestamp(w, SystemTime::now())
    }
}

fn write_timestamp(w: &mut impl fmt::Write, now: SystemTime) -> fmt::Result {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let second = since_epoch.as_secs();
    let (mut last, mut text) = LAST_SECOND.get();
    if last != second {
        (last, text) = (second, second_text(second));
        LAST_SECOND.set((last, text));
    }
    let mut line = [0u8; LINE];
    line[..SECOND].copy_from_slice(&text);
    line[SECOND] = b'.';
    let mut micros = since_epoch.subsec_micros();
    for digit in line[SECOND + 1..LINE - 1].iter_mut().rev() {
        *digit = b'0' + u8::try_from(micros % 10).unwrap_or_default();
        micros /= 10;
    }
    line[LINE - 1] = b'Z';
    w.write_str(std::str::from_utf8(&line).map_err(|_| fmt::Error)?)
}

/// `YYYY-MM-DDTHH:MM:SS` of `second` after the epoch, UTC (years past 9999 are cut short).
fn second_text(second: u64) -> [u8; SECOND] {
    let time = i64::try_from(second).ok().and_then(|s| chrono::DateTime::from_timestamp(s, 0)).unwrap_or_default();
    let formatted = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let mut text = [b'0'; SECOND];
    let n = formatted.len().min(SECOND);
    text[..n].copy_from_slice(&formatted.as_bytes()[..n]);
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{SecondsFormat, Utc};

    use super::*;

    #[test]
    fn writes_rfc_3339_utc_with_microseconds_as_tracing_subscriber_does() {
        // The same second twice (the kept text), then others, forwards and back.
        let instants = [
            (1_764_945_090, 546_988_123),
            (1_764_945_090, 7_000),
            (1_764_945_091, 0),
            (951_782_400, 999_999_999),
            (0, 1_000),
            (4_102_444_799, 123_456_000),
            (1_764_945_090, 42_000),
        ];
        for (seconds, nanos) in instants {
            let at = UNIX_EPOCH + Duration::new(seconds, nanos);
            let mut ours = String::new();
            write_timestamp(&mut ours, at).unwrap();
            let expected = chrono::DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Micros, true);
            assert_eq!(ours, expected, "{seconds}.{nanos:09}");
        }
    }
}
