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
use quick_cache::Weighter;
use quick_cache::sync::Cache;

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
        // The item estimate only sizes the tables: one entry per 64 KiB of capacity.
        let estimated = usize::try_from(capacity_bytes / 65_536).unwrap_or(usize::MAX).max(16);
        let entries = (capacity_bytes > 0).then(|| Arc::new(Cache::with_weighter(estimated, capacity_bytes, ByBytes)));
        Self { entries }
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
        if let Some(entries) = &self.entries {
            let newer_kept = entries.get(&view.board.id).is_some_and(|kept| kept.revision > view.revision);
            if !newer_kept {
                entries.insert(view.board.id, Arc::clone(&rendered));
            }
        }
        Ok(rendered)
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
