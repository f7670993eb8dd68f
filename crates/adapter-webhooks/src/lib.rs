//! Outbound adapter: webhook requests over reqwest, connector's [`WebhookSender`] port.
//!
//! Guarded against server-side request forgery (decision 0049): every name is resolved by
//! [`GuardedResolver`], which drops loopback, private, link-local and other non-public
//! addresses (so a public name re-pointed inside the network is refused at the next attempt),
//! and a URL whose host is an address literal is checked before any connection. Proxies from
//! the environment are ignored (a proxy would resolve names itself), redirects are not
//! followed (a 3xx answer is a failed attempt), and every request has a timeout.
//!
//! Each request continues the trace of the request whose event it reports (decision 0053): a
//! client span of that trace when traces are exported, whose context it sends as
//! `traceparent`; otherwise the event's `traceparent` is passed on as it was recorded.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use connector::webhooks::{Outgoing, Sent, WebhookSender, is_public};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tracing::{Instrument as _, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The W3C trace context header.
const TRACEPARENT: &str = "traceparent";

/// Sends webhook requests. Its HTTP client (a connection pool and the TLS roots) is built on
/// the first request, so a server whose users have no webhooks never holds it.
#[derive(Debug)]
pub struct HttpWebhookSender {
    settings: SenderSettings,
    client: OnceLock<Result<reqwest::Client, String>>,
}

/// How a sender behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderSettings {
    /// How long a request may take, connection included.
    pub timeout: Duration,
    /// Whether loopback, private and link-local targets are allowed (tests, trusted networks).
    pub allow_private: bool,
}

impl HttpWebhookSender {
    /// A sender; nothing is built until the first request.
    pub fn new(settings: SenderSettings) -> Self {
        Self { settings, client: OnceLock::new() }
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        let settings = self.settings;
        let built = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("Corkboard-Webhooks/", env!("CARGO_PKG_VERSION")))
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .pool_idle_timeout(Duration::from_secs(30))
                .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private }))
                .build()
                .map_err(|e| format!("the HTTP client cannot be built: {}", describe(&e)))
        });
        built.as_ref().map_err(Clone::clone)
    }
}

#[async_trait::async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, request: &Outgoing) -> Sent {
        let url = match url::Url::parse(&request.url) {
            Ok(url) => url,
            Err(e) => return Sent::Failed(format!("the target URL does not parse: {e}")),
        };
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !self.settings.allow_private
            && !is_public(ip)
        {
            return Sent::Failed(format!("the target address {ip} is not public"));
        }
        let client = match self.client() {
            Ok(client) => client,
            Err(why) => return Sent::Failed(why),
        };
        let (span, traceparent) = client_span(&url, request.traceparent.as_deref());
        let mut builder =
            client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(traceparent) = traceparent {
            builder = builder.header(TRACEPARENT, traceparent);
        }
        let sent = match builder.send().instrument(span.clone()).await {
            Ok(response) => Sent::Answered(response.status().as_u16()),
            Err(e) if e.is_timeout() => Sent::Failed(format!("no answer within {} s", self.settings.timeout.as_secs())),
            Err(e) => Sent::Failed(describe(&e)),
        };
        match &sent {
            Sent::Answered(code) => {
                span.record("http.response.status_code", i64::from(*code));
                if !(200..300).contains(code) {
                    span.set_status(Status::error(format!("the receiver answered {code}")));
                }
            }
            // Not the error's text: reqwest's names the URL, whose path may hold a secret.
            Sent::Failed(_) => span.set_status(Status::error("no answer")),
        }
        sent
    }
}

/// The span of a request to `url`, and the `traceparent` to send with it. With traces exported,
/// a client span whose parent is `parent` (the span of the request whose event is reported;
/// without one, a trace of its own), and its own context to send. Without, the span is only
/// for the logs, and `parent` is passed on (as the W3C propagator writes it). The URL is not recorded: its path or
/// query may hold a secret.
fn client_span(url: &url::Url, parent: Option<&str>) -> (Span, Option<String>) {
    let span = tracing::info_span!(
        "webhook request",
        otel.name = "POST",
        otel.kind = "client",
        http.request.method = "POST",
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default(),
        http.response.status_code = tracing::field::Empty,
    );
    let propagator = TraceContextPropagator::new();
    // A stored value that does not parse (it was validated when recorded) is no parent at all,
    // never the worker's current context.
    let parent_context = parent.map_or_else(opentelemetry::Context::new, |traceparent| {
        let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
        propagator.extract_with_context(&opentelemetry::Context::new(), &carrier)
    });
    let send = |context: &opentelemetry::Context| {
        let mut carrier = HashMap::with_capacity(2);
        propagator.inject_context(context, &mut carrier);
        carrier.remove(TRACEPARENT)
    };
    if span.set_parent(parent_context.clone()).is_err() {
        return (span, send(&parent_context));
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return (span, send(&parent_context));
    }
    (span, send(&context))
}

/// An error and its causes, one line (reqwest's own message names only the outermost).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Resolves names with the system resolver and keeps only the addresses a webhook may reach.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                let why = if found.is_empty() {
                    format!("{host} has no address")
                } else {
                    format!("{host} resolves only to addresses that are not public")
                };
                return Err(why.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}
