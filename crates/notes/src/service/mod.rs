//! The note use cases.
//!
//! Every read and every authorisation goes through the pool ([`NoteStore`] reads,
//! [`BoardAccess`]) *before* a unit of work opens: on SQLite the pool may hold a single
//! connection, which an open transaction would hold. The write then applies only to the version
//! that was read (`UPDATE … WHERE version = ?`), so a change made in between is never
//! overwritten: it surfaces as a version mismatch or a retryable conflict.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use kernel::{BoardId, Caller, CardId, Changes, Clock, DomainEvent, IdGen, NoteId, PageRequest, Version};
use serde_json::Value;

use crate::error::NoteError;
use crate::model::{NewNote, Note, NoteChanges, NoteCursor, NoteFilter, NotePage, SEARCH_WINDOW};
use crate::ports::{BoardAccess, NoteRole, NoteStore, NoteTx};

/// The note use cases. Every one takes the authenticated [`Caller`] first.
///
/// Access: a personal note (no board) is seen and changed by its owner only. A note attached to
/// a board is seen by the board's members and changed by its editors and owners, and by the
/// note's own author while they remain a member. Anyone else gets [`NoteError::NotFound`],
/// never a hint that the note exists. Being an administrator grants nothing here.
pub struct NoteService {
    store: Arc<dyn NoteStore>,
    access: Arc<dyn BoardAccess>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
}

/// What the caller may do with a note they can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Edit,
}

impl NoteService {
    /// Builds the service on its ports.
    pub fn new(
        store: Arc<dyn NoteStore>,
        access: Arc<dyn BoardAccess>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Self {
        Self { store, access, clock, ids }
    }

    /// Creates a note owned by the caller: personal, or on a board (or a card of a board) the
    /// caller edits.
    #[tracing::instrument(target = "notes::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn create(&self, caller: &Caller, input: NewNote) -> Result<Note, NoteError> {
        let (board_id, card_id) = self.destination(caller, None, input.board_id, input.card_id).await?;
        let now = self.clock.now();
        let note = Note {
            id: NoteId::from_uuid(self.ids.new_id()),
            owner_id: caller.user_id,
            title: input.title,
            body: input.body,
            tags: input.tags,
            pinned: input.pinned,
            archived: false,
            board_id,
            card_id,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        let tx = self.store.begin().await?;
        tx.insert(&note).await?;
        let changes = Changes::new()
            .set("title", note.title.as_str())
            .set("body", note.body.as_str())
            .set("tags", note.tags.to_strings())
            .set("pinned", note.pinned)
            .set("board_id", opt(note.board_id))
            .set("card_id", opt(note.card_id));
        self.finish(tx, caller, "note.created", &note, changes).await?;
        Ok(note)
    }

    /// One note the caller may see.
    #[tracing::instrument(target = "notes::use_case", level = "debug", skip_all, fields(%id), err(level = "debug"))]
    pub async fn get(&self, caller: &Caller, id: NoteId) -> Result<Note, NoteError> {
        let note = self.store.get(id).await?;
        self.access_to(caller, &note).await?;
        Ok(note)
    }

    /// The notes the caller may see that match `filter`. Without `q`: newest first, paged by
    /// id. With `q`: best first, limited to the best [`SEARCH_WINDOW`] results and paged by
    /// position; a search without any word (only quotes or operators) finds nothing.
    ///
    /// `limit` is clamped to 1–200 (default 50). A cursor of the other kind (a list cursor for
    /// a search, or the reverse) is refused as [`NoteError::Invalid`] on `cursor`.
    #[tracing::instrument(target = "notes::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn list(
        &self,
        caller: &Caller,
        filter: NoteFilter,
        limit: Option<u32>,
        cursor: Option<NoteCursor>,
    ) -> Result<NotePage, NoteError> {
        let limit = PageRequest::new(limit, None).limit();
        let wrong_cursor = || NoteError::invalid("cursor", "this cursor belongs to another listing");
        let Some(q) = filter.q.clone() else {
            let after = match cursor {
                None => None,
                Some(NoteCursor::After(id)) => Some(id),
                Some(NoteCursor::Position(_)) => return Err(wrong_cursor()),
            };
            let mut items = self.store.list(caller.user_id, filter, after, limit + 1).await?;
            let next = overflow(&mut items, limit).then(|| items.last().map(|n| NoteCursor::After(n.id))).flatten();
            return Ok(NotePage { items, next });
        };
        let offset = match cursor {
            None => 0,
            Some(NoteCursor::Position(p)) => p,
            Some(NoteCursor::After(_)) => return Err(wrong_cursor()),
        };
        let terms = q.terms();
        if terms.is_empty() || offset >= SEARCH_WINDOW {
            return Ok(NotePage { items: Vec::new(), next: None });
        }
        let fetch = (limit + 1).min(SEARCH_WINDOW - offset);
        let mut items = self.store.search(caller.user_id, filter, terms, offset, fetch).await?;
        let next = overflow(&mut items, limit).then_some(NoteCursor::Position(offset + limit));
        Ok(NotePage { items, next })
    }

    /// Changes a note (see the type's access rules). Moving it to another board needs the editor
    /// role there; making it personal again is for its owner only. A change that changes
    /// nothing writes nothing.
    #[tracing::instrument(target = "notes::use_case", level = "debug", skip_all, fields(%id), err(level = "debug"))]
    pub async fn update(
        &self,
        caller: &Caller,
        id: NoteId,
        changes: NoteChanges,
        expected: Option<Version>,
    ) -> Result<Note, NoteError> {
        let current = self.store.get(id).await?;
        if self.access_to(caller, &current).await? != Access::Edit {
            return Err(NoteError::Forbidden);
        }
        check_version(current.version, expected)?;
        let mut next = current.clone();
        if let Some(title) = changes.title {
            next.title = title;
        }
        if let Some(body) = changes.body {
            next.body = body;
        }
        if let Some(tags) = changes.tags {
            next.tags = tags;
        }
        if let Some(pinned) = changes.pinned {
            next.pinned = pinned;
        }
        if let Some(archived) = changes.archived {
            next.archived = archived;
        }
        if changes.board_id.is_some() || changes.card_id.is_some() {
            let board = changes.board_id.unwrap_or(current.board_id);
            if changes.board_id == Some(None) && matches!(changes.card_id, Some(Some(_))) {
                return Err(NoteError::invalid("card_id", "a note on a card is on the card's board"));
            }
            // Moving to another board leaves the card behind unless a new card is named.
            let card = changes.card_id.unwrap_or(current.card_id.filter(|_| board == current.board_id));
            if board.is_none() && card.is_none() && current.board_id.is_some() && current.owner_id != caller.user_id {
                return Err(NoteError::Forbidden);
            }
            let (board, card) = self.destination(caller, current.board_id, board, card).await?;
            next.board_id = board;
            next.card_id = card;
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version.next();
        next.updated_at = self.clock.now();
        let tx = self.store.begin().await?;
        tx.update(&next, current.version).await.map_err(NoteError::stale_write(expected.is_some()))?;
        let changes = Changes::new()
            .diff("title", current.title.as_str(), next.title.as_str())
            .diff("body", current.body.as_str(), next.body.as_str())
            .diff("tags", current.tags.to_strings(), next.tags.to_strings())
            .diff("pinned", current.pinned, next.pinned)
            .diff("archived", current.archived, next.archived)
            .diff("board_id", opt(current.board_id), opt(next.board_id))
            .diff("card_id", opt(current.card_id), opt(next.card_id));
        self.finish(tx, caller, "note.updated", &next, changes).await?;
        Ok(next)
    }

    /// Deletes a note (see the type's access rules).
    #[tracing::instrument(target = "notes::use_case", level = "debug", skip_all, fields(%id), err(level = "debug"))]
    pub async fn delete(&self, caller: &Caller, id: NoteId, expected: Option<Version>) -> Result<(), NoteError> {
        let current = self.store.get(id).await?;
        if self.access_to(caller, &current).await? != Access::Edit {
            return Err(NoteError::Forbidden);
        }
        check_version(current.version, expected)?;
        let tx = self.store.begin().await?;
        tx.delete(id, current.version).await.map_err(NoteError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("title", current.title.as_str(), Value::Null);
        self.finish(tx, caller, "note.deleted", &current, changes).await
    }

    /// What the caller may do with `note`; `NotFound` when they may not even see it.
    async fn access_to(&self, caller: &Caller, note: &Note) -> Result<Access, NoteError> {
        let Some(board) = note.board_id else {
            return if note.owner_id == caller.user_id { Ok(Access::Edit) } else { Err(NoteError::NotFound) };
        };
        match self.access.role_of(board, caller.user_id).await? {
            None => Err(NoteError::NotFound),
            Some(role) if role >= NoteRole::Editor || note.owner_id == caller.user_id => Ok(Access::Edit),
            Some(_) => Ok(Access::Read),
        }
    }

    /// Resolves where a note goes (a card implies its board, and must be on `board` when both
    /// are given) and checks that the caller may put it there: a board other than `from` needs
    /// the editor role. Boards and cards the caller cannot see are refused as unknown.
    async fn destination(
        &self,
        caller: &Caller,
        from: Option<BoardId>,
        board: Option<BoardId>,
        card: Option<CardId>,
    ) -> Result<(Option<BoardId>, Option<CardId>), NoteError> {
        let board = match card {
            None => board,
            Some(card) => {
                let on = self.access.card_board(card).await?;
                let visible = match on {
                    Some(on) => self.access.role_of(on, caller.user_id).await?.is_some(),
                    None => false,
                };
                let Some(on) = on.filter(|_| visible) else {
                    return Err(NoteError::invalid("card_id", "no such card"));
                };
                if board.is_some_and(|b| b != on) {
                    return Err(NoteError::invalid("card_id", "the card is not on that board"));
                }
                Some(on)
            }
        };
        if let Some(board) = board.filter(|b| Some(*b) != from) {
            match self.access.role_of(board, caller.user_id).await? {
                None => return Err(NoteError::invalid("board_id", "no such board")),
                Some(role) if role < NoteRole::Editor => return Err(NoteError::Forbidden),
                Some(_) => {}
            }
        }
        Ok((board, card))
    }

    /// Records the change's event and commits the unit of work.
    async fn finish(
        &self,
        tx: Box<dyn NoteTx>,
        caller: &Caller,
        action: &'static str,
        note: &Note,
        changes: Changes,
    ) -> Result<(), NoteError> {
        let event = DomainEvent {
            id: self.ids.new_id(),
            occurred_at: self.clock.now(),
            actor: caller.actor,
            action,
            resource_type: "note",
            resource_id: note.id.as_uuid(),
            board_id: note.board_id,
            changes,
            meta: caller.meta.clone(),
        };
        tx.record(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl std::fmt::Debug for NoteService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteService").finish_non_exhaustive()
    }
}

/// Drops the over-fetched row, telling whether there was one.
fn overflow(items: &mut Vec<Note>, limit: u32) -> bool {
    let limit = limit as usize;
    if items.len() > limit {
        items.truncate(limit);
        true
    } else {
        false
    }
}

/// The caller's `If-Match`, when given, must name the current version.
fn check_version(current: Version, expected: Option<Version>) -> Result<(), NoteError> {
    match expected {
        Some(expected) if expected != current => Err(NoteError::VersionMismatch),
        _ => Ok(()),
    }
}

/// An optional id as JSON.
fn opt<T: std::fmt::Display>(id: Option<T>) -> Value {
    id.map_or(Value::Null, |id| Value::from(id.to_string()))
}
