//! The framework ceiling: a bare Axum router answering the exact bytes the real server sent
//! (captured earlier in the same run) from memory, with no middleware, no database and no
//! serialisation. What Corkboard's stack costs is the distance to this.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;

/// Serves `GET /health/live` and `GET /board` until killed.
pub(crate) async fn serve(listen: SocketAddr, health: &Path, board: &Path) -> anyhow::Result<()> {
    let health = Bytes::from(std::fs::read(health).with_context(|| format!("cannot read {}", health.display()))?);
    let board = Bytes::from(std::fs::read(board).with_context(|| format!("cannot read {}", board.display()))?);
    let app = Router::new()
        .route(
            "/health/live",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], health.clone()) }),
        )
        .route("/board", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], board.clone()) }));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot bind {listen}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}
