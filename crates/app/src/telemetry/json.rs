//! JSON log lines (`CORKBOARD_LOG_FORMAT=json`) as tracing-subscriber's JSON format writes them,
//! but with each span's fields copied in as the JSON text they were kept as when the span opened.
//! tracing-subscriber parses that text into a tree of values and writes it out again, for every
//! span of every line: 8,500 of the 24,000 instructions a request's access line cost
//! (decision 0058).

use std::fmt;

use tracing::{Event, Subscriber};
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
        let meta = event.metadata();
        w.write_str("{\"timestamp\":\"")?;
        Timestamp.format_time(&mut w)?;
        write!(w, "\",\"level\":\"{}\",\"fields\":", meta.level())?;
        let mut fields = JsonVisitor::new(&mut w);
        event.record(&mut fields);
        fields.finish()?;
        w.write_str(",\"target\":")?;
        write_string(&mut w, meta.target())?;
        if let Some(leaf) = ctx.lookup_current() {
            w.write_str(",\"spans\":[")?;
            for (n, span) in leaf.scope().from_root().enumerate() {
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
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing::field::Empty;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::{Layer, Registry};

    use super::*;

    /// What a layer wrote.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Logs the same lines, in spans with fields of every kind, some recorded after the span
    /// opened, and texts that need escaping.
    fn log_lines() {
        tracing::info!(status = 200u64, latency_ms = 0.25, "outside any span");
        let request =
            tracing::info_span!("http", method = %"GET", route = "/api/v1/x", request_id = "r-1", trace_id = Empty);
        let _request = request.enter();
        request.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
        tracing::info!(status = 201u64, ok = true, delta = -3i64, "response");
        let empty = tracing::info_span!("sign-in \"quoted\"");
        let _empty = empty.enter();
        let use_case = tracing::info_span!("login", attempt = 2u64, who = ?Some("ann"));
        let _use_case = use_case.enter();
        tracing::warn!(error = %"no such user", detail = "tab\there\nline \\ \u{1}", "refused {}", "ann");
    }

    fn log_through(layer: impl Layer<Registry> + Send + Sync) {
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), log_lines);
    }

    fn parsed(output: &Captured) -> Vec<serde_json::Value> {
        let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    }

    #[test]
    fn lines_hold_what_tracing_subscribers_json_lines_hold() {
        let (theirs, ours) = (Captured::default(), Captured::default());
        let writer = |out: &Captured| {
            let out = out.clone();
            move || out.clone()
        };
        log_through(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_span_list(true)
                .with_writer(writer(&theirs)),
        );
        log_through(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(JsonLines)
                .with_writer(writer(&ours)),
        );
        let (mut theirs, mut ours) = (parsed(&theirs), parsed(&ours));
        assert_eq!(ours.len(), 3);
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
        assert_eq!(ours[2]["fields"]["detail"], "tab\there\nline \\ \u{1}");
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
