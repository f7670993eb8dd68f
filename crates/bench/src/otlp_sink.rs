//! A collector that accepts OTLP/HTTP trace exports and drops them, so that what exporting
//! traces costs the server can be measured: run `corkboard-bench otlp-sink`, then `run` with
//! `--server-env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318` (decision 0051).

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;

/// Answers every `POST /v1/traces` with an empty success (all spans accepted) until killed.
pub(crate) async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let accept = |_spans: Bytes| async { ([(header::CONTENT_TYPE, "application/x-protobuf")], Bytes::new()) };
    let app = Router::new().route("/v1/traces", post(accept));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot bind {listen}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}
