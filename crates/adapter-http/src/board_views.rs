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

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use board::{BoardView, Revision};
use bytes::Bytes;
use kernel::{BoardId, Version};
use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};

use crate::error::ApiError;
use crate::extract::etag;
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
}

impl Rendered {
    /// The `200 OK` response carrying this view.
    pub(crate) fn response(&self) -> Response {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), (header::ETAG, etag(self.version))],
            self.body.clone(),
        )
            .into_response()
    }
}

/// Weighs an entry by the bytes of its body.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<BoardId, Arc<Rendered>> for ByBytes {
    fn weight(&self, _board: &BoardId, rendered: &Arc<Rendered>) -> u64 {
        u64::try_from(rendered.body.len()).unwrap_or(u64::MAX).max(1)
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
        let rendered = Arc::new(Rendered { revision: view.revision, version: view.board.version, body: body.into() });
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
        Arc::new(Rendered { revision: Revision::new(revision), version: Version::FIRST, body: body.into() })
    }

    #[test]
    fn a_board_of_a_quarter_of_the_capacity_is_kept() {
        let cache = BoardViewCache::new(32 * MIB);
        let (large, small) = (BoardId::from_uuid(uuid::Uuid::now_v7()), BoardId::from_uuid(uuid::Uuid::now_v7()));
        cache.keep(large, &rendering(1, 8 * MIB));
        cache.keep(small, &rendering(1, 400 * 1024));
        assert_eq!(cache.get(large).map(|r| r.body.len() as u64), Some(8 * MIB));
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
}
