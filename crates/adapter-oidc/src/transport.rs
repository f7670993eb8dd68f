//! The provider's HTTP transport: `reqwest`, with each request a client span of the trace it
//! is made in (the sign-in's request) and sent with that span's `traceparent` when traces are
//! exported (decision 0053).

use std::future::Future;
use std::pin::Pin;

use openidconnect::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry_http::HeaderInjector;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// `reqwest`, traced.
#[derive(Debug, Clone)]
pub(crate) struct TracedHttp(pub(crate) reqwest::Client);

impl<'c> AsyncHttpClient<'c> for TracedHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        let method = request.method().as_str().to_owned();
        let uri = request.uri();
        // Not the URL: a query may carry a code or a secret.
        let span = tracing::info_span!(
            "oidc request",
            otel.name = method.as_str(),
            otel.kind = "client",
            http.request.method = method.as_str(),
            server.address = uri.host().unwrap_or_default(),
            server.port = uri.port_u16().or_else(|| match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            }),
            http.response.status_code = tracing::field::Empty,
        );
        let context = span.context();
        if context.span().span_context().is_valid() {
            TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(request.headers_mut()));
        }
        let call = self.0.call(request);
        Box::pin(async move {
            let result = call.instrument(span.clone()).await;
            match &result {
                Ok(response) => {
                    let code = response.status().as_u16();
                    span.record("http.response.status_code", i64::from(code));
                    if code >= 400 {
                        span.set_status(Status::error(format!("the provider answered {code}")));
                    }
                }
                Err(_) => span.set_status(Status::error("no answer")),
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use openidconnect::http::{HeaderMap, Request};
    use opentelemetry::trace::{SpanKind, TracerProvider as _};
    use opentelemetry::{KeyValue, Value};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Keeps what is exported.
    #[derive(Debug, Clone, Default)]
    struct Collected(Arc<Mutex<Vec<SpanData>>>);

    impl SpanExporter for Collected {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0.lock().unwrap().extend(batch);
            Ok(())
        }
    }

    /// A provider endpoint on loopback that keeps the `traceparent` of each request.
    async fn endpoint() -> (String, Arc<Mutex<Vec<Option<String>>>>) {
        let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let keep = seen.clone();
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move |headers: HeaderMap| async move {
                let traceparent = headers.get("traceparent").map(|v| v.to_str().unwrap().to_owned());
                keep.lock().unwrap().push(traceparent);
                r#"{"keys":[]}"#
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, seen)
    }

    fn get(url: &str) -> HttpRequest {
        Request::get(url).body(Vec::new()).unwrap()
    }

    #[tokio::test]
    async fn a_request_is_a_client_span_of_the_sign_in_and_sends_its_context() {
        let (url, seen) = endpoint().await;
        let http = TracedHttp(reqwest::Client::new());

        // No traces exported: nothing is sent.
        assert_eq!(http.call(get(&url)).await.unwrap().status(), 200);

        let exported = Collected::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exported.clone()).build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
        let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let sign_in = tracing::info_span!("sign-in");
        // As openidconnect does: the request is made while the sign-in's span is current.
        let answered = async { http.call(get(&url)).await }.instrument(sign_in.clone()).await;
        assert_eq!(answered.unwrap().status(), 200);
        drop(sign_in);
        provider.force_flush().unwrap();

        let spans = exported.0.lock().unwrap().clone();
        let parent = spans.iter().find(|s| s.name == "sign-in").expect("the sign-in's span");
        let client = spans.iter().find(|s| s.span_kind == SpanKind::Client).expect("a client span");
        assert_eq!(client.name, "GET");
        assert_eq!(client.span_context.trace_id(), parent.span_context.trace_id());
        assert_eq!(client.parent_span_id, parent.span_context.span_id());
        let attribute =
            |key: &str| client.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.clone());
        assert_eq!(attribute("http.response.status_code"), Some(Value::I64(200)));
        assert_eq!(attribute("server.address"), Some(Value::from("127.0.0.1")));
        assert!(!client.attributes.contains(&KeyValue::new("url.full", url.clone())), "the URL is not recorded");
        let ids = &client.span_context;
        let sent = format!("00-{}-{}-01", ids.trace_id(), ids.span_id());
        assert_eq!(*seen.lock().unwrap(), [None, Some(sent)]);
    }
}
