//! The one place that sets up logging and, when an OTLP endpoint is configured, the export of
//! OpenTelemetry traces (decision 0051).

use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Config, LogFormat};

mod json;
mod lines;
#[cfg(test)]
mod testing;
mod text;
mod timestamp;

/// How long one request of the exporter may take, the OTLP default. (The exporter's retries of
/// one export end after `OTEL_EXPORTER_OTLP_TIMEOUT`, by default the same.)
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the export of the spans still queued may take at shutdown.
const SHUTDOWN_EXPORT: Duration = Duration::from_secs(20);

/// What [`init`] set up; keep it until the process ends, then [`Telemetry::shutdown`].
#[must_use = "dropping it stops the log writer"]
pub struct Telemetry {
    /// Writes the lines still waiting when dropped.
    _log_writer: lines::WriterGuard,
    /// Present when traces are exported.
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether OpenTelemetry traces are exported.
    pub fn traces_exported(&self) -> bool {
        self.traces.is_some()
    }

    /// Exports the spans still waiting, then stops the exporter (at most [`SHUTDOWN_EXPORT`]
    /// more); the log writer flushes when `self` drops.
    pub async fn shutdown(self) {
        if let Some(provider) = self.traces {
            // The export waits on the runtime ([`OtlpClient`]), so it must not hold a runtime thread.
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(SHUTDOWN_EXPORT)).await;
            if let Ok(Err(e)) = flushed {
                tracing::warn!(error = %e, "the last spans were not exported");
            }
        }
    }
}

/// Installs the global subscriber: pretty or JSON lines, filtered by `config.log`. A line names
/// every span it was logged in, outermost first, with their fields: a line logged while a request
/// is served names its request (request id, route, method, and the trace and span ids). Use
/// cases' spans are at DEBUG, of the targets `<crate>::use_case`: at the default level they cost
/// nothing and lines do not name them; `CORKBOARD_LOG=info,board::use_case=debug` (or
/// `board=debug`) adds them (decision 0058).
/// When `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, spans are
/// also exported over OTLP/HTTP ([`tracer_provider`]).
///
/// Lines are formatted on the thread that logs but written to standard output by a thread of
/// their own, so a request never waits on a `write` to a pipe, a file or a terminal (one line
/// per request was the largest cost of `GET /health/live`; docs/performance.md). That thread
/// wakes up every few milliseconds, not for every line, and writes all that is waiting at once
/// ([`lines`]). Nothing is dropped: when the writer falls far behind, logging waits. Colours
/// only on a terminal. Must run inside the Tokio runtime, which carries the exporter's requests.
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_new(&config.log)?;
    let ansi = std::io::stdout().is_terminal();
    let (writer, guard) = lines::spawn(std::io::stdout()).context("cannot start the log writer thread")?;
    let traces = tracer_provider()?;
    match &traces {
        // Without traces the log filter is global, as it always was: spans and events it
        // refuses are never made.
        None => {
            tracing_subscriber::registry().with(filter).with(log_lines(config.log_format, writer, ansi)).try_init()?;
        }
        Some(provider) => {
            let spans = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("corkboard"))
                .with_location(false)
                .with_target(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_filter(tracing_subscriber::filter::filter_fn(exported));
            tracing_subscriber::registry()
                .with(log_lines(config.log_format, writer, ansi).with_filter(filter))
                .with(spans)
                .try_init()?;
        }
    }
    Ok(Telemetry { _log_writer: guard, traces })
}

/// The log lines' layer, in the configured format.
fn log_lines<S>(format: LogFormat, writer: lines::Lines, ansi: bool) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(json::JsonObject)
            .event_format(json::JsonLines)
            .with_writer(writer)
            .boxed(),
        // The same lines; on a terminal with colours, which tracing-subscriber writes.
        LogFormat::Pretty if ansi => tracing_subscriber::fmt::layer()
            .compact()
            .with_timer(timestamp::Timestamp)
            .with_ansi(true)
            .with_writer(writer)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .fmt_fields(text::TextFields)
            .event_format(text::TextLines)
            .with_ansi(false)
            .with_writer(writer)
            .boxed(),
    }
}

/// What becomes part of an exported trace, whatever the log filter: spans at INFO and above
/// (requests), use cases and Redis calls (DEBUG spans of targets of their own, so that they cost
/// nothing when traces are not exported), and events at WARN and above, which are attached to
/// their span. Probes' and workers' ticks' spans are at DEBUG: never exported.
fn exported(meta: &Metadata<'_>) -> bool {
    if meta.is_span() {
        *meta.level() <= Level::INFO || meta.target() == "corkboard::redis" || meta.target().ends_with("::use_case")
    } else {
        *meta.level() <= Level::WARN
    }
}

/// Whether an OTLP endpoint is configured for traces, in the variables every OpenTelemetry SDK
/// reads. `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` turn the export off.
pub fn traces_configured() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|v| v.trim().eq_ignore_ascii_case("none"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The tracer provider exporting spans over OTLP/HTTP (protobuf) in batches, when an endpoint is
/// configured. The SDK reads the rest of its configuration from the standard variables:
/// endpoint and headers (`OTEL_EXPORTER_OTLP_*`; the protocol is always `http/protobuf`),
/// sampler (`OTEL_TRACES_SAMPLER`, by default every trace, or as the caller's `traceparent`
/// says), batching (`OTEL_BSP_*`) and resource (`OTEL_SERVICE_NAME` or `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`, by default `corkboard`). It is also the global provider, through
/// which the database adapter records its statements.
fn tracer_provider() -> anyhow::Result<Option<SdkTracerProvider>> {
    if !traces_configured() {
        return Ok(None);
    }
    let client = OtlpClient {
        client: reqwest::Client::builder()
            .timeout(EXPORT_TIMEOUT)
            .build()
            .context("cannot build the HTTP client of the trace exporter")?,
        runtime: tokio::runtime::Handle::try_current().context("traces are exported from the Tokio runtime")?,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
        .context("invalid OTLP exporter configuration (OTEL_EXPORTER_OTLP_*)")?;
    // The SDK names an unnamed service `unknown_service:<executable>`.
    let named = Resource::builder()
        .build()
        .get(&opentelemetry::Key::new("service.name"))
        .is_some_and(|name| !name.as_str().starts_with("unknown_service"));
    let mut resource = Resource::builder();
    if !named {
        resource = resource.with_service_name("corkboard");
    }
    let resource =
        resource.with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION"))).build();
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(Some(provider))
}

/// The exporter's HTTP client: our reqwest. The SDK's batch processor exports from a thread of
/// its own, outside the runtime, so each request is handed to the runtime and awaited from
/// there (the exporter's own reqwest features would bring a second major version of reqwest).
#[derive(Debug)]
struct OtlpClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for OtlpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let client = self.client.clone();
        let exchange = self.runtime.spawn(async move {
            let response = client.execute(request).await?;
            let mut answer = Response::builder().status(response.status());
            if let Some(headers) = answer.headers_mut() {
                headers.clone_from(response.headers());
            }
            let body = response.bytes().await?;
            Ok::<_, HttpError>(answer.body(body)?)
        });
        exchange.await?
    }
}
