//! JSON log lines (`CORKBOARD_LOG_FORMAT=json`) holding what tracing-subscriber's JSON format
//! writes, made with less work (decisions 0058 and 0059):
//!
//! - each span's fields are copied in as the JSON text they were kept as when the span opened,
//!   where tracing-subscriber parses that text into a tree of values and writes it out again,
//!   for every span of every line (8,500 of the 24,000 instructions a request's access line
//!   cost);
//! - a span's fields are written as they are visited, where tracing-subscriber's `JsonVisitor`
//!   gathers them into a map of values and then writes the map;
//! - a line's own fields are written the same way, with the values tracing-subscriber's lines
//!   give them (through `tracing-serde`), without serde's machinery.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime as _;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::timestamp::Timestamp;

/// One JSON object per line: `timestamp`, `level`, `fields` (the event's, its message
/// included), `target`, and `spans` (the spans the line was logged in, outermost first, each
/// with its fields and `name`): the keys and values of tracing-subscriber's
/// `json().with_current_span(false).with_span_list(true)`, in its order but for a span's
/// fields, which come in the order they were given rather than by name (until one is recorded
/// after the span opened: the merged object is in name order).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct JsonLines;

/// A span's fields as a JSON object, as tracing-subscriber's `JsonFields` makes it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct JsonObject;

impl<S> FormatEvent<S, JsonObject> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, JsonObject>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        // Events of the `log` crate carry their own target, as tracing-subscriber's lines show.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        w.write_str("{\"timestamp\":\"")?;
        Timestamp.format_time(&mut w)?;
        write!(w, "\",\"level\":\"{}\",\"fields\":", meta.level())?;
        event_fields(w.by_ref(), event)?;
        w.write_str(",\"target\":")?;
        write_string(&mut w, meta.target())?;
        // As tracing-subscriber does: the list when the event has a parent, given or current,
        // and in it the current span and those it is in.
        if event.parent().and_then(|id| ctx.span(id)).is_some() || ctx.lookup_current().is_some() {
            w.write_str(",\"spans\":[")?;
            let scope = ctx.lookup_current().into_iter().flat_map(|leaf| leaf.scope().from_root());
            for (n, span) in scope.enumerate() {
                if n > 0 {
                    w.write_char(',')?;
                }
                let extensions = span.extensions();
                let kept = extensions.get::<FormattedFields<JsonObject>>().map_or("{}", |f| f.fields.as_str());
                // The kept object without its closing brace, then the span's name.
                match kept.strip_suffix('}') {
                    Some(open) if open.len() > 1 => {
                        w.write_str(open)?;
                        w.write_char(',')?;
                    }
                    _ => w.write_char('{')?,
                }
                w.write_str("\"name\":")?;
                write_string(&mut w, span.metadata().name())?;
                w.write_char('}')?;
            }
            w.write_char(']')?;
        }
        w.write_str("}\n")
    }
}

impl<'w> FormatFields<'w> for JsonObject {
    /// A span's fields (the event's are written by [`event_fields`]).
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        ObjectVisitor::write(writer, Of::Span, fields)
    }

    /// Fields recorded after the span opened (a trace id): the kept object and the new fields
    /// merged, a field recorded again taking its new value, as tracing-subscriber does.
    fn add_fields(&self, current: &'w mut FormattedFields<Self>, fields: &Record<'_>) -> fmt::Result {
        type Object = serde_json::Map<String, serde_json::Value>;
        let mut added = String::new();
        self.format_fields(Writer::new(&mut added), fields)?;
        let mut object: Object = serde_json::from_str(current).map_err(|_| fmt::Error)?;
        object.extend(serde_json::from_str::<Object>(&added).map_err(|_| fmt::Error)?);
        current.fields = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        Ok(())
    }
}

/// An event's fields, as tracing-subscriber writes them (through `tracing-serde`).
fn event_fields(writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
    ObjectVisitor::write(writer, Of::Event, event)
}

/// Whose fields: tracing-subscriber writes a span's (`JsonVisitor`) and an event's
/// (`tracing-serde`) a little differently.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Of {
    Span,
    Event,
}

/// Writes fields as the members of a JSON object: numbers and booleans as such (a float that is
/// not finite as `null`), anything else as the string of its `Debug` form. A span's bytes are an
/// array of numbers, and of its `Debug` fields a raw identifier drops its `r#` and the `log`
/// crate's metadata (`log.*`) is skipped; an event's bytes are the string tracing writes for
/// them (`[61 62]`), and its fields keep their names.
struct ObjectVisitor<'w> {
    writer: Writer<'w>,
    of: Of,
    first: bool,
    result: fmt::Result,
}

impl ObjectVisitor<'_> {
    fn write(writer: Writer<'_>, of: Of, fields: impl RecordFields) -> fmt::Result {
        let mut visitor = ObjectVisitor { writer, of, first: true, result: Ok(()) };
        visitor.result = visitor.writer.write_char('{');
        fields.record(&mut visitor);
        visitor.finish()
    }

    /// Writes a member: `"name":` and then the value, unless a write has failed.
    fn member(&mut self, name: &str, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            let separator = if std::mem::take(&mut self.first) { "" } else { "," };
            self.result = self
                .writer
                .write_str(separator)
                .and_then(|()| write_string(&mut self.writer, name))
                .and_then(|()| self.writer.write_char(':'))
                .and_then(|()| value(&mut self.writer));
        }
    }
}

impl Visit for ObjectVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.member(field.name(), |w| match serde_json::Number::from_f64(value) {
            Some(number) => write!(w, "{number}"),
            None => w.write_str("null"),
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field.name(), |w| write!(w, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field.name(), |w| write!(w, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field.name(), |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field.name(), |w| write_string(w, value));
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        let as_array = self.of == Of::Span;
        self.member(field.name(), |w| {
            w.write_str(if as_array { "[" } else { "\"[" })?;
            for (n, byte) in value.iter().enumerate() {
                match (as_array, n) {
                    (true, 0) => write!(w, "{byte}"),
                    (true, _) => write!(w, ",{byte}"),
                    (false, 0) => write!(w, "{byte:02x}"),
                    (false, _) => write!(w, " {byte:02x}"),
                }?;
            }
            w.write_str(if as_array { "]" } else { "]\"" })
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut name = field.name();
        if self.of == Of::Span {
            if name.starts_with("log.") {
                return;
            }
            name = name.strip_prefix("r#").unwrap_or(name);
        }
        self.member(name, |w| {
            w.write_char('"')?;
            write!(Escaped(w), "{value:?}")?;
            w.write_char('"')
        });
    }
}

impl VisitOutput<fmt::Result> for ObjectVisitor<'_> {
    fn finish(mut self) -> fmt::Result {
        self.result.and_then(|()| self.writer.write_char('}'))
    }
}

/// `text` as a JSON string, quoted and escaped.
fn write_string(w: &mut impl fmt::Write, text: &str) -> fmt::Result {
    w.write_char('"')?;
    Escaped(w).write_str(text)?;
    w.write_char('"')
}

/// Writes text escaped for the inside of a JSON string.
struct Escaped<'w, W>(&'w mut W);

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in text.char_indices() {
            let escaped = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if c < ' ' => "",
                _ => continue,
            };
            self.0.write_str(&text[plain..i])?;
            if escaped.is_empty() {
                write!(self.0, "\\u{:04x}", u32::from(c))?;
            } else {
                self.0.write_str(escaped)?;
            }
            plain = i + c.len_utf8();
        }
        self.0.write_str(&text[plain..])
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::super::testing::{Captured, log_lines};
    use super::*;

    fn parsed(output: &Captured) -> Vec<serde_json::Value> {
        output.text().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    }

    #[test]
    fn lines_hold_what_tracing_subscribers_json_lines_hold() {
        let (theirs, ours) = (Captured::default(), Captured::default());
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_span_list(true)
                .with_writer(theirs.writer()),
        );
        tracing::subscriber::with_default(subscriber, log_lines);
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer().fmt_fields(JsonObject).event_format(JsonLines).with_writer(ours.writer()),
        );
        tracing::subscriber::with_default(subscriber, log_lines);
        let (mut theirs, mut ours) = (parsed(&theirs), parsed(&ours));
        assert_eq!(ours.len(), 7);
        for line in &mut ours {
            let stamp = line.as_object_mut().unwrap().remove("timestamp").unwrap();
            let stamp = stamp.as_str().unwrap();
            assert!(chrono::DateTime::parse_from_rfc3339(stamp).is_ok() && stamp.ends_with('Z'), "{stamp}");
        }
        for line in &mut theirs {
            line.as_object_mut().unwrap().remove("timestamp");
        }
        assert_eq!(ours, theirs);
        assert_eq!(ours[2]["spans"][0]["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(ours[2]["fields"]["nan"], serde_json::Value::Null);
        assert_eq!(ours[2]["fields"]["raw"], "[61 62 00]");
        assert_eq!(ours[3]["spans"][2]["raw"], serde_json::json!([97, 98]));
        assert_eq!(ours[3]["spans"][1]["name"], "sign-in \"quoted\"");
        assert_eq!(ours[3]["fields"]["detail"], "tab\there\nline \\ \u{1} ünï");
        assert_eq!(ours[6]["spans"], serde_json::json!([]));
    }

    #[test]
    fn strings_are_escaped_as_json_requires() {
        for text in ["", "plain", "quote \" and \\", "ctl \u{0} \u{1f} \n\r\t", "ünïcode ✓"] {
            let mut written = String::new();
            write_string(&mut written, text).unwrap();
            assert_eq!(serde_json::from_str::<String>(&written).unwrap(), text, "{written}");
        }
    }
}
