//! The log lines' way to standard output: appended to a buffer by the thread that logs, written
//! by a thread of their own in batches (decision 0057).
//!
//! tracing-appender's non-blocking writer, used until round 15, hands every line through a
//! channel whose receiving thread sleeps between lines: at the busiest route each line cost a
//! wake-up of that thread (a `futex` call on the request's thread, two thread switches) and more
//! CPU than the line's formatting. Here the writer thread sleeps for [`FLUSH_EVERY`], or until a
//! batch of [`BATCH_BYTES`] is waiting, then writes everything waiting at once: at most a few
//! hundred wake-ups a second however many lines. Nothing is dropped: when [`MAX_WAITING_BYTES`]
//! are waiting, logging waits for the writer.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// The longest a line waits before it is written, when fewer than [`BATCH_BYTES`] are waiting.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Bytes waiting that wake the writer before [`FLUSH_EVERY`]: one `write` of this size.
const BATCH_BYTES: usize = 64 * 1024;

/// Bytes waiting at which logging waits for the writer: about two seconds of the access log at
/// the benchmark's busiest route (the queue of 16,384 lines it replaces, decision 0039). Only
/// what is waiting is resident, not the limit.
const MAX_WAITING_BYTES: usize = 4 * 1024 * 1024;

/// The buffer's capacity kept between batches; a burst's larger one is given back.
const KEPT_CAPACITY: usize = 2 * BATCH_BYTES;

/// Where the subscriber writes its lines ([`MakeWriter`]); cheap to clone.
#[derive(Clone)]
pub(crate) struct Lines {
    shared: Arc<Shared>,
}

/// Writes what is left and stops the writer thread when dropped.
#[must_use = "dropping it stops the log writer"]
pub(crate) struct WriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// The writer waits on it: a batch is waiting, or the process is stopping.
    writer: Condvar,
    /// Logging threads wait on it while [`MAX_WAITING_BYTES`] are waiting.
    room: Condvar,
}

#[derive(Default)]
struct State {
    waiting: Vec<u8>,
    /// The guard has dropped: the writer writes what is waiting and ends.
    stopping: bool,
    /// The writer has ended; later lines have nowhere to go.
    ended: bool,
}

impl Shared {
    /// The state; a thread that panicked while holding it left it whole (nothing here panics
    /// between two changes that must go together).
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the thread writing lines to `out`.
pub(crate) fn spawn<W: Write + Send + 'static>(out: W) -> std::io::Result<(Lines, WriterGuard)> {
    let shared = Arc::new(Shared { state: Mutex::default(), writer: Condvar::new(), room: Condvar::new() });
    let writer = Arc::clone(&shared);
    let thread = std::thread::Builder::new().name("corkboard-log".into()).spawn(move || write_batches(&writer, out))?;
    Ok((Lines { shared: Arc::clone(&shared) }, WriterGuard { shared, thread: Some(thread) }))
}

/// The writer thread: waits for a batch, the clock or the end, then writes whatever is waiting.
fn write_batches<W: Write>(shared: &Shared, mut out: W) {
    let mut batch = Vec::with_capacity(BATCH_BYTES);
    loop {
        let stopping = {
            let mut state = shared.state();
            if state.waiting.len() < BATCH_BYTES && !state.stopping {
                state = shared.writer.wait_timeout(state, FLUSH_EVERY).unwrap_or_else(PoisonError::into_inner).0;
            }
            if state.waiting.len() >= MAX_WAITING_BYTES {
                shared.room.notify_all();
            }
            std::mem::swap(&mut state.waiting, &mut batch);
            state.stopping
        };
        if !batch.is_empty() {
            // Standard output that cannot be written to loses its lines, as it would any other way.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
            batch.shrink_to(KEPT_CAPACITY);
        }
        if stopping {
            let mut state = shared.state();
            if state.waiting.is_empty() {
                state.ended = true;
                shared.room.notify_all();
                return;
            }
        }
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.writer.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One line's writer ([`MakeWriter`] hands one out per line).
pub(crate) struct LineWriter<'a> {
    shared: &'a Shared,
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter { shared: &self.shared }
    }
}

impl Write for LineWriter<'_> {
    /// Appends `line` whole to what is waiting; waits first while the writer is
    /// [`MAX_WAITING_BYTES`] behind. A line logged after the writer has ended is dropped.
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.state();
        while state.waiting.len() >= MAX_WAITING_BYTES && !state.ended {
            self.shared.writer.notify_one();
            state = self.shared.room.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if state.ended {
            return Ok(line.len());
        }
        let before = state.waiting.len();
        state.waiting.extend_from_slice(line);
        // The writer is woken once per batch, when the waiting bytes first reach it.
        if before < BATCH_BYTES && state.waiting.len() >= BATCH_BYTES {
            self.shared.writer.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A sink the test can read while the writer holds it.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn log(lines: &Lines, text: &str) {
        lines.make_writer().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_drops() {
        let sink = Sink::default();
        let (lines, guard) = spawn(sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let lines = lines.clone();
                std::thread::spawn(move || (0..20_000).for_each(|i| log(&lines, &format!("thread {t} line {i}\n"))))
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = sink.text();
        assert_eq!(text.lines().count(), 80_000);
        for t in 0..4 {
            let prefix = format!("thread {t} line ");
            let own: Vec<usize> =
                text.lines().filter_map(|l| l.strip_prefix(prefix.as_str())).map(|n| n.parse().unwrap()).collect();
            assert_eq!(own, (0..20_000).collect::<Vec<_>>(), "thread {t}'s lines, in its order");
        }
    }

    #[test]
    fn a_lone_line_is_written_without_waiting_for_more() {
        let sink = Sink::default();
        let (lines, _guard) = spawn(sink.clone()).unwrap();
        log(&lines, "alone\n");
        let deadline = Instant::now() + Duration::from_secs(10);
        while sink.text().is_empty() && Instant::now() < deadline {
            std::thread::sleep(FLUSH_EVERY / 5);
        }
        assert_eq!(sink.text(), "alone\n");
    }

    /// A sink that takes one write at a time when told to, so the writer falls behind.
    struct Gate {
        sink: Sink,
        open: std::sync::mpsc::Receiver<()>,
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.open.recv();
            self.sink.write(buf)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn logging_waits_while_the_writer_is_behind_and_nothing_is_lost() {
        let sink = Sink::default();
        let (open, gate) = std::sync::mpsc::sync_channel(0);
        let (lines, guard) = spawn(Gate { sink: sink.clone(), open: gate }).unwrap();
        let line = format!("{}\n", "x".repeat(1023));
        let total = 3 * MAX_WAITING_BYTES / line.len();
        let logger = std::thread::spawn({
            let lines = lines.clone();
            let line = line.clone();
            move || (0..total).for_each(|_| log(&lines, &line))
        });
        // With the sink shut, the logger cannot get more than the limit (and one batch the
        // writer took) ahead: it is still logging.
        std::thread::sleep(Duration::from_millis(200));
        assert!(!logger.is_finished(), "logging waited for the writer");
        assert!(lines.shared.state().waiting.len() <= MAX_WAITING_BYTES + line.len());
        // Opened, every line arrives.
        let opener = std::thread::spawn(move || while open.send(()).is_ok() {});
        logger.join().unwrap();
        drop(guard);
        drop(lines);
        opener.join().unwrap();
        assert_eq!(sink.text().len(), total * line.len());
    }
}
