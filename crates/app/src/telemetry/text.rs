//! Text log lines (`CORKBOARD_LOG_FORMAT=pretty`, the default) written to a file or a pipe: the
//! lines of tracing-subscriber's compact format without colours, made with less work.
//! tracing-subscriber writes every character of a message through an escaping writer, one
//! `write_char` at a time, and every string field through `str`'s `Debug`, which looks at each
//! character too: a request's span fields and access line cost 14,000 instructions (decision
//! 0059). Here a text with nothing to escape, nearly every one, is written whole; anything else
//! is written as tracing-subscriber writes it. On a terminal the lines have colours, and
//! tracing-subscriber's own format writes them.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::time::FormatTime as _;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields as _, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::timestamp::Timestamp;

/// A line: the time, the level, the names of the spans it was logged in (outermost first), its
/// target, its fields (the message first), then each span's fields.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TextLines;

/// Fields as `name=value`, separated by spaces, the message without its name.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TextFields;

impl<S> FormatEvent<S, TextFields> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, TextFields>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        // Events of the `log` crate carry their own target, as tracing-subscriber's lines show.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        if Timestamp.format_time(&mut w).is_err() {
            w.write_str("<unknown time>")?;
        }
        w.write_str(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        if let Some(leaf) = event.parent().and_then(|id| ctx.span(id)).or_else(|| ctx.lookup_current()) {
            for span in leaf.scope().from_root() {
                w.write_str(span.name())?;
                w.write_char(':')?;
            }
            w.write_char(' ')?;
        }
        w.write_str(meta.target())?;
        w.write_str(": ")?;
        ctx.format_fields(w.by_ref(), event)?;
        for span in ctx.event_scope().into_iter().flat_map(tracing_subscriber::registry::Scope::from_root) {
            if let Some(fields) = span.extensions().get::<FormattedFields<TextFields>>()
                && !fields.is_empty()
            {
                w.write_char(' ')?;
                w.write_str(fields)?;
            }
        }
        w.write_char('\n')
    }
}

impl<'a> MakeVisitor<Writer<'a>> for TextFields {
    type Visitor = TextVisitor<'a>;

    fn make_visitor(&self, writer: Writer<'a>) -> TextVisitor<'a> {
        TextVisitor { writer, first: true, result: Ok(()) }
    }
}

/// Writes one set of fields.
pub(super) struct TextVisitor<'a> {
    writer: Writer<'a>,
    first: bool,
    result: fmt::Result,
}

impl TextVisitor<'_> {
    /// Starts a field: the space before it. `false` for a field not written: the `log`
    /// crate's metadata, or anything after a failed write.
    fn pad(&mut self, field: &Field) -> bool {
        if self.result.is_err() || field.name().starts_with("log.") {
            return false;
        }
        if !std::mem::take(&mut self.first) {
            self.result = self.writer.write_char(' ');
        }
        true
    }

    /// Starts a field, with `name=` unless it is the message; `None` for a field not written,
    /// else whether it is the message.
    fn start(&mut self, field: &Field) -> Option<bool> {
        if !self.pad(field) {
            return None;
        }
        let name = field.name();
        if name == "message" {
            return Some(true);
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = self.result.and_then(|()| self.writer.write_str(name)).and_then(|()| self.writer.write_char('='));
        Some(false)
    }
}

impl Visit for TextVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let Some(message) = self.start(field) else { return };
        self.result = self.result.and_then(|()| {
            if message {
                Sanitized(&mut self.writer).write_str(value)
            } else if value.bytes().all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\') {
                // What `Debug` writes for a string with nothing to escape.
                self.writer.write_char('"')?;
                self.writer.write_str(value)?;
                self.writer.write_char('"')
            } else {
                write!(self.writer, "{value:?}")
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !self.pad(field) {
            return;
        }
        // An error and its sources, and the field's name, as tracing-subscriber writes them.
        let mut visitor = DefaultVisitor::new(self.writer.by_ref(), true);
        visitor.record_error(field, value);
        self.result = self.result.and(visitor.finish());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let Some(message) = self.start(field) else { return };
        self.result = self.result.and_then(|()| {
            if message { write!(Sanitized(&mut self.writer), "{value:?}") } else { write!(self.writer, "{value:?}") }
        });
    }
}

impl VisitOutput<fmt::Result> for TextVisitor<'_> {
    fn finish(self) -> fmt::Result {
        self.result
    }
}

impl VisitFmt for TextVisitor<'_> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        &mut self.writer
    }
}

/// Writes a message with the characters a terminal could take for the start of a command
/// escaped, as tracing-subscriber does: ESC, BEL, BS, FF, DEL and the C1 controls.
struct Sanitized<'w, W>(&'w mut W);

impl<W: fmt::Write> fmt::Write for Sanitized<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // C1 controls are U+0080 to U+009F: 0xC2 then 0x80 to 0x9F in UTF-8.
        let risky = |b: &u8| matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2);
        if !text.as_bytes().iter().any(risky) {
            return self.0.write_str(text);
        }
        for c in text.chars() {
            match c {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                '\u{80}'..='\u{9f}' => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::super::testing::{Captured, log_lines};
    use super::*;

    /// The lines, without their time (everything before the first space).
    fn untimed(output: &Captured) -> Vec<String> {
        output.text().lines().map(|line| line.split_once(' ').map_or(line, |(_, rest)| rest).to_owned()).collect()
    }

    #[test]
    fn lines_are_tracing_subscribers_compact_lines_without_colours() {
        let (theirs, ours) = (Captured::default(), Captured::default());
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .compact()
                .with_ansi(false)
                .with_timer(Timestamp)
                .with_writer(theirs.writer()),
        );
        tracing::subscriber::with_default(subscriber, log_lines);
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .fmt_fields(TextFields)
                .event_format(TextLines)
                .with_ansi(false)
                .with_writer(ours.writer()),
        );
        tracing::subscriber::with_default(subscriber, log_lines);
        let (theirs, ours) = (untimed(&theirs), untimed(&ours));
        assert_eq!(ours.len(), 7);
        assert_eq!(ours, theirs);
        assert!(ours[1].starts_with(" INFO http: app::telemetry::testing: response status=201"), "{}", ours[1]);
        assert!(ours[6].contains("\\x1b[31mred"), "{}", ours[6]);
    }

    #[test]
    fn messages_are_sanitized_as_tracing_subscriber_does() {
        for text in ["plain", "", "esc \x1b[2J bell \x07 bs \x08 ff \x0c del \x7f", "c1 \u{85} \u{9b}", "ünï ✓ \u{a0}"]
        {
            let mut ours = String::new();
            Sanitized(&mut ours).write_str(text).unwrap();
            let expected: String = text
                .chars()
                .map(|c| match c {
                    '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' => format!("\\x{:02x}", u32::from(c)),
                    '\u{80}'..='\u{9f}' => format!("\\u{{{:x}}}", u32::from(c)),
                    c => c.to_string(),
                })
                .collect();
            assert_eq!(ours, expected);
        }
    }
}
