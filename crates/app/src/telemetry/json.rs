//! JSON log lines (`CORKBOARD_LOG_FORMAT=json`) as tracing-subscriber's JSON format writes them,
//! but with each span's fields copied in as the JSON text they were kept as when the span opened.
//! tracing-subscriber parses that text into a tree of values and writes it out again, for every
//! span of every line: 8,500 of the 24,000 instructions a request's access line cost
//! (decision 0058).

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::field::VisitOutput as _;
use tracing_subscriber::fmt::format::{JsonFields, JsonVisitor, Writer};
use tracing_subscriber::fmt::time::FormatTime as _;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::timestamp::Timestamp;

/// One JSON object per line: `timestamp`, `level`, `fields` (the event's, its message
/// included), `target`, and `spans` (the spans the line was logged in, outermost first, each
/// with its fields and `name`): the keys and values of tracing-subscriber's
/// `json().with_current_span(false).with_span_list(true)`, in its order but for the event's
/// fields, which come in name order as a span's do.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct JsonLines;

impl<S> FormatEvent<S, JsonFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, JsonFields>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        // Events of the `log` crate carry their own target, as tracing-subscriber's lines show.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        w.write_str("{\"timestamp\":\"")?;
        Timestamp.format_time(&mut w)?;
        write!(w, "\",\"level\":\"{}\",\"fields\":", meta.level())?;
        let mut fields = JsonVisitor::new(&mut w);
        event.record(&mut fields);
        fields.finish()?;
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
                let kept = extensions.get::<FormattedFields<JsonFields>>().map_or("{}", |f| f.fields.as_str());
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

/// `text` as a JSON string, quoted and escaped.
fn write_string(w: &mut impl fmt::Write, text: &str) -> fmt::Result {
    w.write_char('"')?;
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
        w.write_str(&text[plain..i])?;
        if escaped.is_empty() {
            write!(w, "\\u{:04x}", u32::from(c))?;
        } else {
            w.write_str(escaped)?;
        }
        plain = i + c.len_utf8();
    }
    w.write_str(&text[plain..])?;
    w.write_char('"')
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
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(JsonLines)
                .with_writer(ours.writer()),
        );
        tracing::subscriber::with_default(subscriber, log_lines);
        let (mut theirs, mut ours) = (parsed(&theirs), parsed(&ours));
        assert_eq!(ours.len(), 6);
        for line in &mut ours {
            let stamp = line.as_object_mut().unwrap().remove("timestamp").unwrap();
            let stamp = stamp.as_str().unwrap();
            assert!(chrono::DateTime::parse_from_rfc3339(stamp).is_ok() && stamp.ends_with('Z'), "{stamp}");
        }
        for line in &mut theirs {
            line.as_object_mut().unwrap().remove("timestamp");
        }
        assert_eq!(ours, theirs);
        assert_eq!(ours[2]["spans"][1]["name"], "sign-in \"quoted\"");
        assert_eq!(ours[2]["fields"]["detail"], "tab\there\nline \\ \u{1} ünï");
        assert_eq!(ours[5]["spans"], serde_json::json!([]));
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
