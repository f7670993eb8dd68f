//! Rendered board views, kept while they are exact.
//!
//! `GET /api/v1/boards/{id}` is the heaviest read of the API: eight queries and hundreds of
//! kilobytes of JSON for a board of a few hundred cards. Each board's last rendering is kept
//! here with the [`Revision`] it was read at; a later request checks access and reads the
//! board's revision (the domain's [`board::BoardService::get_board_unless`]), and sends the
//! kept bytes when nothing changed. The revision advances in the same transaction as every
//! change to the board, so a copy is never served after a change has committed, whichever
//! server instance made it. The cache is bounded by the bytes it holds
//! (`http.board_view_cache_mib`; 0 turns it off); concurrent requests share one copy.
//!
//! A client whose `Accept-Encoding` allows gzip gets the view compressed (JSON of a board
//! shrinks about tenfold), compressed once per rendering and kept beside it (decision 0035).

use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use board::{BoardView, Revision};
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use kernel::{BoardId, Version};
use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};

use crate::error::ApiError;
use crate::extract::{etag, weak_etag};
use crate::routes::board_dto::BoardViewOut;

/// A board's view as sent: its JSON and what the response needs besides.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// The revision the view was read at.
    pub(crate) revision: Revision,
    /// The board's own version, the response's `ETag`.
    version: Version,
    /// The JSON body.
    body: Bytes,
    /// The JSON body gzip-compressed, once a client has asked for it.
    gzip: OnceLock<Bytes>,
}

/// Bodies shorter than this are sent as they are: compressing them saves less than it costs.
const GZIP_MIN_BYTES: usize = 1024;

impl Rendered {
    fn new(revision: Revision, version: Version, body: Bytes) -> Self {
        Self { revision, version, body, gzip: OnceLock::new() }
    }

    /// The `200 OK` response carrying this view, gzip-compressed when `encoding` allows it and
    /// the view is worth compressing. The compressed copy is made once per rendering, off the
    /// request threads, and shared by later requests.
    pub(crate) async fn response(self: Arc<Self>, encoding: AcceptsGzip) -> Result<Response, ApiError> {
        let (body, gzipped) = if encoding.0 && self.body.len() >= GZIP_MIN_BYTES {
            let compressed = if let Some(kept) = self.gzip.get() {
                kept.clone()
            } else {
                let rendered = Arc::clone(&self);
                let compressed = tokio::task::spawn_blocking(move || gzip(&rendered.body))
                    .await
                    .map_err(|e| ApiError::internal(&e))?
                    .map_err(|e| ApiError::internal(&e))?;
                // A concurrent request may have kept its own copy first: either will do.
                self.gzip.get_or_init(|| compressed).clone()
            };
            (compressed, true)
        } else {
            (self.body.clone(), false)
        };
        let mut response = (StatusCode::OK, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if gzipped {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            // Another encoding of the same version: a weak validator (RFC 9110 §8.8.1), which
            // `If-Match` accepts like the strong one.
            headers.insert(header::ETAG, weak_etag(self.version));
        } else {
            headers.insert(header::ETAG, etag(self.version));
        }
        Ok(response)
    }
}

fn gzip(body: &[u8]) -> std::io::Result<Bytes> {
    // The fastest level: a copy is made again after every change to the board, and JSON
    // compresses well even so.
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 8), Compression::fast());
    encoder.write_all(body)?;
    Ok(encoder.finish()?.into())
}

/// Whether the request's `Accept-Encoding` allows gzip (RFC 9110 §12.5.3): `gzip` (or its
/// alias `x-gzip`) with a non-zero weight, or else `*` with a non-zero weight. A request
/// without the header gets the view as it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcceptsGzip(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for AcceptsGzip {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(accepts_gzip(&parts.headers)))
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    let items =
        headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    for item in items {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        // A weight that does not parse counts as refusal; no weight means 1.
        let accepted = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
            .next_back()
            .is_none_or(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0));
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(accepted);
        } else if coding == "*" {
            any = Some(accepted);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Weighs an entry by the bytes of its body, plus an eighth for its compressed copy (JSON
/// compresses about tenfold), which is made after the entry is weighed.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<BoardId, Arc<Rendered>> for ByBytes {
    fn weight(&self, _board: &BoardId, rendered: &Arc<Rendered>) -> u64 {
        let bytes = u64::try_from(rendered.body.len()).unwrap_or(u64::MAX);
        bytes.saturating_add(bytes / 8).max(1)
    }
}

/// The last rendering of each recently read board, up to a number of bytes in all.
#[derive(Clone)]
pub struct BoardViewCache {
    entries: Option<Arc<Cache<BoardId, Arc<Rendered>, ByBytes>>>,
}

impl BoardViewCache {
    /// A cache holding at most `capacity_bytes` of rendered views; none at all when 0. A view
    /// larger than the whole capacity is rendered for its request and not kept.
    pub fn new(capacity_bytes: u64) -> Self {
        let entries = (capacity_bytes > 0).then(|| {
            // One shard: the cache divides its capacity among its shards, and a 10,000-card
            // board (7.7 MB) would not fit a 32nd of 32 MiB. The lock is held for a lookup only.
            let options = OptionsBuilder::new()
                // Only sizes the tables: one entry per 64 KiB of capacity.
                .estimated_items_capacity(usize::try_from(capacity_bytes / 65_536).unwrap_or(usize::MAX).max(16))
                .weight_capacity(capacity_bytes)
                .shards(1)
                .build();
            match options {
                Ok(options) => Some(Arc::new(Cache::with_options(
                    options,
                    ByBytes,
                    DefaultHashBuilder::default(),
                    DefaultLifecycle::default(),
                ))),
                Err(error) => {
                    tracing::warn!(%error, "board view cache disabled");
                    None
                }
            }
        });
        Self { entries: entries.flatten() }
    }

    /// The kept rendering of `board`, whatever its revision.
    pub(crate) fn get(&self, board: BoardId) -> Option<Arc<Rendered>> {
        self.entries.as_ref()?.get(&board)
    }

    /// Renders `view`, keeps it unless a newer rendering of the board is kept already, and
    /// returns it.
    pub(crate) fn render(&self, view: &BoardView) -> Result<Arc<Rendered>, ApiError> {
        let body = serde_json::to_vec(&BoardViewOut::from(view)).map_err(|e| ApiError::internal(&e))?;
        let rendered = Arc::new(Rendered::new(view.revision, view.board.version, body.into()));
        self.keep(view.board.id, &rendered);
        Ok(rendered)
    }

    /// Keeps `rendered` as `board`'s rendering unless a newer one is kept already.
    fn keep(&self, board: BoardId, rendered: &Arc<Rendered>) {
        if let Some(entries) = &self.entries {
            let newer_kept = entries.get(&board).is_some_and(|kept| kept.revision > rendered.revision);
            if !newer_kept {
                entries.insert(board, Arc::clone(rendered));
            }
        }
    }
}

impl std::fmt::Debug for BoardViewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("BoardViewCache");
        if let Some(entries) = &self.entries {
            d.field("entries", &entries.len()).field("bytes", &entries.weight()).field("capacity", &entries.capacity());
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn rendering(revision: u64, bytes: u64) -> Arc<Rendered> {
        let body = vec![b' '; usize::try_from(bytes).unwrap_or_default()];
        Arc::new(Rendered::new(Revision::new(revision), Version::FIRST, body.into()))
    }

    #[test]
    fn a_board_of_a_quarter_of_the_capacity_is_kept() {
        let cache = BoardViewCache::new(32 * MIB);
        let (large, small) = (BoardId::from_uuid(uuid::Uuid::now_v7()), BoardId::from_uuid(uuid::Uuid::now_v7()));
        cache.keep(large, &rendering(1, 7 * MIB));
        cache.keep(small, &rendering(1, 400 * 1024));
        assert_eq!(cache.get(large).map(|r| r.body.len() as u64), Some(7 * MIB));
        assert!(cache.get(small).is_some());
    }

    #[test]
    fn an_older_rendering_never_replaces_a_newer_one() {
        let cache = BoardViewCache::new(MIB);
        let board = BoardId::from_uuid(uuid::Uuid::now_v7());
        cache.keep(board, &rendering(5, 10));
        cache.keep(board, &rendering(4, 10));
        assert_eq!(cache.get(board).map(|r| r.revision), Some(Revision::new(5)));
        cache.keep(board, &rendering(6, 10));
        assert_eq!(cache.get(board).map(|r| r.revision), Some(Revision::new(6)));
    }

    #[test]
    fn a_cache_of_no_bytes_keeps_nothing_and_the_total_stays_bounded() {
        let off = BoardViewCache::new(0);
        let board = BoardId::from_uuid(uuid::Uuid::now_v7());
        off.keep(board, &rendering(1, 10));
        assert!(off.get(board).is_none());

        let cache = BoardViewCache::new(MIB);
        for _ in 0..64 {
            cache.keep(BoardId::from_uuid(uuid::Uuid::now_v7()), &rendering(1, 64 * 1024));
        }
        let entries = cache.entries.as_ref().map(|e| (e.weight(), e.len())).unwrap_or_default();
        assert!(entries.0 <= MIB, "{} bytes kept", entries.0);
        assert!(entries.1 >= 8, "still keeps what fits: {} entries", entries.1);
    }

    fn accepts(values: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        }
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_sent_only_where_accept_encoding_allows_it() {
        assert!(!accepts(&[]), "no header: the view as it is");
        assert!(accepts(&["gzip"]));
        assert!(accepts(&["deflate, GZip;q=0.5, br"]));
        assert!(accepts(&["br", "x-gzip"]), "several headers, and the alias");
        assert!(accepts(&["*"]));
        assert!(!accepts(&["br, deflate"]));
        assert!(!accepts(&["gzip;q=0"]));
        assert!(!accepts(&["gzip; q=0.000, *"]), "an explicit refusal beats the wildcard");
        assert!(!accepts(&["*;q=0"]));
        assert!(!accepts(&["gzip;q=nonsense"]));
        assert!(accepts(&["identity;q=0, gzip;q=1"]));
    }

    #[tokio::test]
    async fn a_compressed_view_inflates_to_the_same_json_and_is_made_once() -> anyhow::Result<()> {
        use std::io::Read as _;
        let json = serde_json::to_vec(&serde_json::json!({"cards": vec!["a card title"; 500]}))?;
        let rendered = Arc::new(Rendered::new(Revision::new(1), Version::FIRST, json.clone().into()));

        let plain = Arc::clone(&rendered).response(AcceptsGzip(false)).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::ETAG], "\"1\"");
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");
        assert!(rendered.gzip.get().is_none(), "nothing compressed for a client that did not ask");

        let zipped = Arc::clone(&rendered).response(AcceptsGzip(true)).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(zipped.headers()[header::ETAG], "W/\"1\"");
        let bytes = axum::body::to_bytes(zipped.into_body(), usize::MAX).await?;
        assert!(bytes.len() * 4 < json.len(), "{} of {} bytes", bytes.len(), json.len());
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut inflated)?;
        assert_eq!(inflated, json);
        let kept = rendered.gzip.get().map(|b| b.as_ptr());
        let again = Arc::clone(&rendered).response(AcceptsGzip(true)).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let sent = axum::body::to_bytes(again.into_body(), usize::MAX).await?;
        assert_eq!(Some(sent.as_ptr()), kept, "the kept copy is sent, not a new one");
        Ok(())
    }

    #[tokio::test]
    async fn a_small_view_is_sent_as_it_is() -> anyhow::Result<()> {
        let rendered = rendering(1, 100);
        let response = rendered.response(AcceptsGzip(true)).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        Ok(())
    }
}
