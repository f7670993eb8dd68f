//! A request's place in a distributed trace: the trace id of the W3C `traceparent` a caller
//! sends and, when OpenTelemetry traces are exported (decision 0051), the request's span as an
//! OpenTelemetry server span, a child of the caller's span.
//!
//! Nothing here knows whether traces are exported: the request span is offered to the
//! OpenTelemetry layer, and when none is installed the offer is refused in a few nanoseconds.

use std::collections::HashMap;

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The W3C trace context header.
const TRACEPARENT: &str = "traceparent";

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
    let parent = caller_context(req.headers());
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

/// The trace the current request belongs to, for its events: the trace id and the W3C
/// `traceparent` of the exported request span, else of the caller's valid `traceparent`.
pub(crate) fn trace_context(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let current = opentelemetry::Context::current();
    let context = if current.span().span_context().is_valid() { current } else { caller_context(headers) };
    let ids = context.span().span_context().clone();
    if !ids.is_valid() {
        return (None, None);
    }
    let mut carrier = HashMap::with_capacity(1);
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    (Some(ids.trace_id().to_string()), carrier.remove(TRACEPARENT))
}

/// The trace id of the caller's `traceparent`, when it is valid.
fn caller_trace_id(headers: &HeaderMap) -> Option<String> {
    let ids = caller_context(headers).span().span_context().clone();
    ids.is_valid().then(|| ids.trace_id().to_string())
}

/// The caller's place in its trace, from a W3C `traceparent` header (`00-<trace>-<span>-<flags>`).
fn caller_context(headers: &HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract_with_context(&opentelemetry::Context::new(), &HeaderExtractor(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_carried_and_garbage_is_not() {
        // No OpenTelemetry layer here: the caller's context is the request's.
        let mut h = HeaderMap::new();
        let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        h.insert("traceparent", caller.parse().unwrap());
        assert_eq!(caller_trace_id(&h).as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert_eq!(trace_context(&h), (Some("4bf92f3577b34da6a3ce929d0e0e4736".into()), Some(caller.into())));
        for garbage in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "nonsense",
        ] {
            h.insert("traceparent", garbage.parse().unwrap());
            assert_eq!(caller_trace_id(&h), None, "{garbage}");
            assert_eq!(trace_context(&h), (None, None), "{garbage}");
        }
        assert_eq!(trace_context(&HeaderMap::new()), (None, None));
    }
}
