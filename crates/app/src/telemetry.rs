//! The one place that sets up logging.

use std::io::IsTerminal as _;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::{Config, LogFormat};

/// Lines waiting for the writer thread before logging waits: about two seconds of the access
/// log at the benchmark's busiest route. Every slot is written when the queue is made, so its
/// size is resident from start: tracing-appender's default (128,000 lines) was 3.9 MiB, a
/// sixth of a fresh server (decision 0039).
const LOG_QUEUE_LINES: usize = 16_384;

/// Installs the global subscriber: pretty or JSON lines, filtered by `config.log`. JSON lines
/// carry the current span's fields (request id, route, method).
///
/// Lines are formatted on the thread that logs but written to standard output by a thread of
/// their own, so a request never waits on a `write` to a pipe, a file or a terminal (one line
/// per request was the largest cost of `GET /health/live`; docs/performance.md), and that
/// thread writes a burst of lines at once. Nothing is dropped: when the writer falls
/// [`LOG_QUEUE_LINES`] behind, logging waits. The returned guard flushes what is left when it
/// is dropped; keep it until the process ends. Colours only on a terminal.
pub fn init(config: &Config) -> anyhow::Result<WorkerGuard> {
    let filter = EnvFilter::try_new(&config.log)?;
    let ansi = std::io::stdout().is_terminal();
    // The writer thread writes into a buffer and flushes it whenever no line is waiting: one
    // `write` per burst instead of one per line (standard output flushes at every newline).
    let buffered = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(false)
        .thread_name("corkboard-log")
        .finish(buffered);
    let registry = tracing_subscriber::registry().with(filter);
    match config.log_format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init()?,
        LogFormat::Pretty => {
            registry.with(tracing_subscriber::fmt::layer().compact().with_ansi(ansi).with_writer(writer)).try_init()?;
        }
    }
    Ok(guard)
}
