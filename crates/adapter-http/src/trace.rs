//! A request's place in a distributed trace: the trace id of the W3C `traceparent` a caller
//! sends and, when OpenTelemetry traces are exported (decision 0051), the request's span as an
//! OpenTelemetry server span, a child of the caller's span.
//!
//! Nothing here knows whether traces are exported: the request span is offered to the
//! OpenTelemetry layer, and when none is installed the offer is refused in a few nanoseconds.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Joins the request's `span` (enabled, not yet entered; it declares the empty fields
/// `trace_id`, `span_id`, `otel.name` and `otel.kind`) to the caller's trace and names it.
/// Returns whether the span is exported.
///
/// Not exported: `trace_id` is the `traceparent`'s, if any. Exported: the span's parent is the
/// caller's span when `traceparent` is valid (its sampled flag decides, through the sampler);
/// the span is named `{method} {route}`, and `trace_id` and `span_id` are the span's own, so
/// every log line of the request names them.
pub(crate) fn start(span: &Span, req: &Request, route: &str) -> bool {
    // No span is entered when a request arrives, so an empty parent is the one the span already
    // has; offering it is how we learn whether an OpenTelemetry layer is installed.
    if span.set_parent(opentelemetry::Context::new()).is_err() {
        if let Some(id) = caller_trace_id(req.headers()) {
            span.record("trace_id", id.as_str());
        }
        return false;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(req.headers()));
    if parent.span().span_context().is_valid() {
        // Cannot fail: the offer above was taken, and the span has not started.
        let _ = span.set_parent(parent);
    }
    span.record("otel.name", format!("{} {route}", req.method()).as_str());
    span.record("otel.kind", "server");
    span.set_attribute("http.request.method", req.method().to_string());
    span.set_attribute("http.route", route.to_owned());
    span.set_attribute("url.path", req.uri().path().to_owned());
    let context = span.context();
    let ids = context.span().span_context().clone();
    // Invalid when the layer is installed but filters this span out (a probe's, logged at DEBUG).
    if !ids.is_valid() {
        if let Some(id) = caller_trace_id(req.headers()) {
            span.record("trace_id", id.as_str());
        }
        return false;
    }
    span.record("trace_id", ids.trace_id().to_string().as_str());
    span.record("span_id", ids.span_id().to_string().as_str());
    true
}

/// Records the response's status on an exported request span; a server error marks it failed.
pub(crate) fn finish(span: &Span, status: StatusCode) {
    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(Status::error(status.to_string()));
    }
}

/// The trace the current request belongs to, for its audit events: the exported span's trace,
/// else the trace id of the caller's `traceparent`.
pub(crate) fn trace_id(headers: &HeaderMap) -> Option<String> {
    let current = opentelemetry::Context::current();
    let context = current.span().span_context().clone();
    if context.is_valid() { Some(context.trace_id().to_string()) } else { caller_trace_id(headers) }
}

/// The trace id of a W3C `traceparent` header (`00-<trace>-<span>-<flags>`).
fn caller_trace_id(headers: &HeaderMap) -> Option<String> {
    const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
    let value = headers.get(TRACEPARENT)?.to_str().ok()?;
    let mut fields = value.split('-');
    let (_version, trace) = (fields.next()?, fields.next()?);
    let valid = trace.len() == 32 && trace.bytes().all(|b| b.is_ascii_hexdigit()) && trace.bytes().any(|b| b != b'0');
    valid.then(|| trace.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_yields_its_trace_id_and_garbage_yields_none() {
        let mut h = HeaderMap::new();
        h.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
        assert_eq!(caller_trace_id(&h).as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        h.insert("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01".parse().unwrap());
        assert_eq!(caller_trace_id(&h), None);
        h.insert("traceparent", "nonsense".parse().unwrap());
        assert_eq!(caller_trace_id(&h), None);
    }
}
