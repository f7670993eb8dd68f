//! The ceiling server: a bare Axum router answering the exact bytes the real server sent
//! (captured earlier in the same run) from memory, with no middleware and no serialisation.
//!
//! - `GET /health/live` and `GET /board`: the bytes alone, the framework ceiling. What
//!   Corkboard's stack costs is the distance to this.
//! - `GET /board/unchanged` (and `/board/unchanged/gzip`, the compressed bytes): first the
//!   statements a fetch of an unchanged board sends, through a raw sqlx pool
//!   ([`db_ceiling::Fetcher`]), then the bytes. The database ceiling of that fetch measured end
//!   to end: what a server costing nothing of its own would answer, on the same machine and
//!   through the same HTTP as the real one (decision 0056).

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, IntoResponseParts, Response};
use axum::routing::get;
use uuid::Uuid;

use crate::db_ceiling::{Fetch, Fetcher};

/// The bytes the ceiling answers with.
pub(crate) struct Bodies<'a> {
    pub(crate) health: &'a Path,
    pub(crate) board: &'a Path,
    pub(crate) board_gzip: &'a Path,
}

const JSON: &str = "application/json";

/// Where the `/board/unchanged` routes read: the server's database, through a pool of the
/// server's size, with the values of a fetch of `board` with the bearer token `token`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Database {
    /// The server's database URL; without it, there are no `/board/unchanged` routes.
    #[arg(long = "database-url", requires_all = ["board_id", "token_id"])]
    pub(crate) url: Option<String>,
    /// Connections in the pool (the server's pool size).
    #[arg(long, default_value_t = 8)]
    pub(crate) pool: u32,
    /// The board fetched.
    #[arg(long)]
    pub(crate) board_id: Option<Uuid>,
    /// The bearer token it is fetched with (its stored hash and owner are read from the database).
    #[arg(long)]
    pub(crate) token_id: Option<Uuid>,
}

impl Database {
    async fn fetcher(&self) -> anyhow::Result<Option<Fetcher>> {
        let (Some(url), Some(board), Some(token)) = (&self.url, self.board_id, self.token_id) else {
            return Ok(None);
        };
        Ok(Some(Fetcher::connect(url, self.pool, board, token).await?))
    }
}

/// Serves until killed.
pub(crate) async fn serve(listen: SocketAddr, bodies: &Bodies<'_>, database: &Database) -> anyhow::Result<()> {
    let read = |path: &Path| -> anyhow::Result<Bytes> {
        Ok(Bytes::from(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?))
    };
    let (health, board, board_gzip) = (read(bodies.health)?, read(bodies.board)?, read(bodies.board_gzip)?);
    let mut app = Router::new()
        .route("/health/live", get(move || async move { ([(header::CONTENT_TYPE, JSON)], health.clone()) }))
        .route(
            "/board",
            get({
                let board = board.clone();
                move || async move { ([(header::CONTENT_TYPE, JSON)], board.clone()) }
            }),
        );
    if let Some(fetcher) = database.fetcher().await? {
        let plain = fetcher.clone();
        app = app
            .route(
                "/board/unchanged",
                get(move || {
                    let (fetcher, board) = (plain.clone(), board.clone());
                    async move { after_statements(&fetcher, [(header::CONTENT_TYPE, JSON)], board).await }
                }),
            )
            .route(
                "/board/unchanged/gzip",
                get(move || {
                    let (fetcher, board) = (fetcher.clone(), board_gzip.clone());
                    let headers = [(header::CONTENT_TYPE, JSON), (header::CONTENT_ENCODING, "gzip")];
                    async move { after_statements(&fetcher, headers, board).await }
                }),
            );
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot bind {listen}"))?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// The unchanged board's statements, then `body`; a 500 (counted as an error by wrk) if they fail.
async fn after_statements(fetcher: &Fetcher, headers: impl IntoResponseParts, body: Bytes) -> Response {
    match fetcher.run(Fetch::Unchanged).await {
        Ok(_) => (headers, body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
