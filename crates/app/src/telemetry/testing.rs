//! What the log formats' tests share: a writer that keeps what it is given, and the lines they
//! log through tracing-subscriber's format and ours.

use std::io;
use std::sync::{Arc, Mutex};

use tracing::field::Empty;

/// What a layer wrote.
#[derive(Clone, Default)]
pub(super) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// A `MakeWriter` for a layer, writing here.
    pub(super) fn writer(&self) -> impl Fn() -> Self + use<> {
        let out = self.clone();
        move || out.clone()
    }

    pub(super) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An error with a source.
#[derive(Debug)]
struct Refused(std::fmt::Error);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Logs the same seven lines: outside any span and in nested spans, with fields of every kind
/// (some recorded after their span opened), texts that need escaping, an error with its
/// source, and events whose parent is given rather than current.
pub(super) fn log_lines() {
    tracing::info!(status = 200u64, latency_ms = 0.25, "outside any span");
    let request = tracing::info_span!(
        "http",
        method = %"GET",
        route = "/api/v1/x",
        request_id = "r-1",
        trace_id = Empty,
        span_id = Empty
    );
    let in_request = request.enter();
    request.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
    tracing::info!(status = 201u64, ok = true, delta = -3i64, "response");
    // Recorded again, and another field for the first time.
    request.record("trace_id", "0af7651916cd43dd8448eb211c80319c");
    request.record("span_id", "b7ad6b7169203331");
    tracing::info!(
        nan = f64::NAN,
        big = 1e21,
        third = 1.0 / 3.0,
        huge = u128::MAX,
        raw = &b"ab\x00"[..],
        r#type = ?"debug",
        log.line = 7u64,
        "numbers"
    );
    let empty = tracing::info_span!("sign-in \"quoted\"");
    let in_empty = empty.enter();
    let use_case = tracing::info_span!(
        "login",
        attempt = 2u64,
        who = ?Some("ann"),
        r#type = "password",
        r#kind = ?"debug",
        raw = &b"ab"[..],
        log.line = 7u64
    );
    let in_use_case = use_case.enter();
    tracing::warn!(error = %"no such user", detail = "tab\there\nline \\ \u{1} ünï", "refused {}", "ann");
    let error = Refused(std::fmt::Error);
    tracing::error!(error = &error as &(dyn std::error::Error + 'static), "the store failed");
    tracing::info!(parent: &request, "given its parent");
    drop((in_use_case, in_empty, in_request));
    tracing::info!(parent: &use_case, note = "esc \x1b[31mred", "\x1b[31mred\x1b[0m outside, parent given");
}
