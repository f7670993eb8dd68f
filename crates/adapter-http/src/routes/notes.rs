//! Notes: create, list and search, read, change, delete.
//!
//! Lists page with an opaque cursor of their own: a plain list continues after a note id, a
//! search from a position within its best 200 results (decision 0019). A cursor of the other
//! kind, or one this API did not issue, is a 400 `INVALID_CURSOR`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use identity::Scope;
use kernel::{BoardId, CardId, NoteId};
use notes::{
    NewNote, Note, NoteBody, NoteChanges, NoteCursor, NoteError, NoteFilter, NoteTitle, SearchText, Tag, Tags,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{Nullable, created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, TagName};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_notes, create_note)).routes(routes!(get_note, update_note, delete_note))
}

/// A note to create; the caller becomes its owner.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateNoteIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 200))]
    title: String,
    /// Markdown, at most 100 000 bytes of UTF-8 (more is a 413 `NOTE_TOO_LARGE`); may be empty.
    #[garde(skip)]
    body: String,
    /// Up to 20 tags of 1–50 characters `[A-Za-z0-9_-]` (lower-cased on the way in; duplicates
    /// are ignored).
    #[serde(default)]
    #[schema(max_items = 20, value_type = Vec<TagName>)]
    #[garde(length(max = 20))]
    tags: Vec<String>,
    /// Pinned notes are for clients to show first.
    #[serde(default)]
    #[garde(skip)]
    pinned: bool,
    /// Attach to a board the caller edits (then its members see the note).
    #[garde(skip)]
    board_id: Option<Uuid>,
    /// Attach to a card (of `board_id` when given; otherwise the note goes on the card's board).
    #[garde(skip)]
    card_id: Option<Uuid>,
}

/// Changes to a note; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateNoteIn {
    /// One line, not blank; surrounding whitespace is trimmed. `null` leaves it as it is.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 200))]
    title: Option<String>,
    /// Markdown, at most 100 000 bytes (more is a 413 `NOTE_TOO_LARGE`). `null` leaves it.
    #[garde(skip)]
    body: Option<String>,
    /// The complete new set of tags. `null` leaves them; `[]` removes them all.
    #[schema(max_items = 20, value_type = Option<Vec<TagName>>)]
    #[garde(length(max = 20))]
    tags: Option<Vec<String>>,
    /// Pin or unpin.
    #[garde(skip)]
    pinned: Option<bool>,
    /// Archive or restore.
    #[garde(skip)]
    archived: Option<bool>,
    /// Move to another board the caller edits; `null` makes the note personal again (its owner
    /// only).
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    #[garde(skip)]
    board_id: Nullable<Uuid>,
    /// Attach to a card (and its board); `null` detaches it from its card.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    #[garde(skip)]
    card_id: Nullable<Uuid>,
}

/// Which notes to list; every given filter must match.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct NoteFilters {
    /// Full-text search over title and body: notes holding every word of `q` (letters and
    /// digits; other characters only separate words), best first, title matches before body
    /// matches. At most the best 200 are returned. A `q` without any word finds nothing.
    #[param(max_length = 200)]
    #[garde(inner(length(chars, max = 200)))]
    q: Option<String>,
    /// Only notes carrying this tag (case-insensitive).
    #[param(value_type = Option<TagName>)]
    #[garde(skip)]
    tag: Option<String>,
    /// Only notes attached to this board.
    #[garde(skip)]
    board_id: Option<Uuid>,
    /// Only pinned (`true`) or unpinned (`false`) notes.
    #[garde(skip)]
    pinned: Option<bool>,
    /// Archived notes (`true`) instead of open ones (`false`, the default).
    #[garde(skip)]
    archived: Option<bool>,
    /// Only notes changed at or after this instant (RFC 3339).
    #[garde(skip)]
    updated_after: Option<DateTime<Utc>>,
    /// Only notes changed strictly before this instant (RFC 3339).
    #[garde(skip)]
    updated_before: Option<DateTime<Utc>>,
}

impl NoteFilters {
    fn into_domain(self) -> Result<NoteFilter, ApiError> {
        let q = self.q.filter(|q| !q.trim().is_empty());
        Ok(NoteFilter {
            q: q.as_deref().map(|q| field("q", SearchText::parse(q))).transpose()?,
            tag: self.tag.as_deref().map(|t| field("tag", Tag::parse(t))).transpose()?,
            board_id: self.board_id.map(BoardId::from_uuid),
            pinned: self.pinned,
            archived: self.archived.unwrap_or(false),
            updated_after: self.updated_after,
            updated_before: self.updated_before,
        })
    }
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NoteOut {
    id: Uuid,
    /// Who wrote it.
    owner_id: Uuid,
    title: String,
    /// Markdown.
    body: String,
    /// Sorted, lower-case.
    tags: Vec<String>,
    pinned: bool,
    archived: bool,
    /// The board it is attached to; `null` for a personal note.
    board_id: Option<Uuid>,
    /// The card of that board it is attached to.
    card_id: Option<Uuid>,
    /// Grows by one on every change; the `ETag`.
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Note> for NoteOut {
    fn from(n: &Note) -> Self {
        Self {
            id: n.id.as_uuid(),
            owner_id: n.owner_id.as_uuid(),
            title: n.title.as_str().to_owned(),
            body: n.body.as_str().to_owned(),
            tags: n.tags.to_strings(),
            pinned: n.pinned,
            archived: n.archived,
            board_id: n.board_id.map(|b| b.as_uuid()),
            card_id: n.card_id.map(|c| c.as_uuid()),
            version: n.version.get(),
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

const CURSOR_TAG: &str = "n1:";

fn encode_cursor(cursor: NoteCursor) -> String {
    let raw = match cursor {
        NoteCursor::After(id) => format!("{CURSOR_TAG}a:{}", id.as_uuid().simple()),
        NoteCursor::Position(p) => format!("{CURSOR_TAG}p:{p}"),
    };
    URL_SAFE_NO_PAD.encode(raw)
}

/// Decodes a cursor this API issued for this kind of listing (`search`: with `q`).
fn decode_cursor(raw: &str, search: bool) -> Result<NoteCursor, ApiError> {
    let invalid = || ApiError::bad_request("INVALID_CURSOR", "The cursor is not one this API issued for this list.");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let rest = text.strip_prefix(CURSOR_TAG).ok_or_else(invalid)?;
    match (rest.split_once(':'), search) {
        (Some(("a", id)), false) => {
            Uuid::try_parse(id).map(|id| NoteCursor::After(NoteId::from_uuid(id))).map_err(|_| invalid())
        }
        (Some(("p", pos)), true) if pos.bytes().all(|b| b.is_ascii_digit()) => {
            pos.parse().map(NoteCursor::Position).map_err(|_| invalid())
        }
        _ => Err(invalid()),
    }
}

fn tags(raw: &[String]) -> Result<Tags, ApiError> {
    field("tags", Tags::parse(raw))
}

fn body(raw: &str) -> Result<NoteBody, ApiError> {
    NoteBody::parse(raw).map_err(|e| NoteError::from(e).into())
}

/// The notes the caller may see (their personal notes and those of boards they are a member
/// of) matching the filters: newest first, or best first with `q`. Archived notes only with
/// `archived=true`.
#[utoipa::path(get, path = "/notes", tag = "notes",
    params(NoteFilters, PageParams),
    security(("session" = []), ("bearer" = ["notes:read"])),
    responses(
        (status = 200, description = "A page of notes", body = Paged<NoteOut>),
        (status = 403, response = Forbidden)))]
async fn list_notes(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(filters): ApiQuery<NoteFilters>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<NoteOut>>, ApiError> {
    let caller = auth.require(Scope::NotesRead)?;
    let filter = filters.into_domain()?;
    let cursor = page.cursor.as_deref().map(|c| decode_cursor(c, filter.q.is_some())).transpose()?;
    let notes = s.notes.list(caller, filter, page.limit, cursor).await?;
    Ok(axum::Json(Paged {
        items: notes.items.iter().map(NoteOut::from).collect(),
        next_cursor: notes.next.map(encode_cursor),
    }))
}

/// Create a note: personal, or on a board (or a card) the caller edits.
#[utoipa::path(post, path = "/notes", tag = "notes", request_body = CreateNoteIn,
    security(("session" = []), ("bearer" = ["notes:write"])),
    responses(
        (status = 201, description = "Created", body = NoteOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge)))]
async fn create_note(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<CreateNoteIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::NotesWrite)?;
    let input = NewNote {
        title: field("title", NoteTitle::parse(&input.title))?,
        body: body(&input.body)?,
        tags: tags(&input.tags)?,
        pinned: input.pinned,
        board_id: input.board_id.map(BoardId::from_uuid),
        card_id: input.card_id.map(CardId::from_uuid),
    };
    let note = s.notes.create(caller, input).await?;
    Ok(created(&format!("/api/v1/notes/{}", note.id), Some(note.version), NoteOut::from(&note)))
}

/// One note.
#[utoipa::path(get, path = "/notes/{note_id}", tag = "notes",
    params(("note_id" = Uuid, Path, description = "The note's id")),
    security(("session" = []), ("bearer" = ["notes:read"])),
    responses(
        (status = 200, description = "The note", body = NoteOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_note(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::NotesRead)?;
    let note = s.notes.get(caller, NoteId::from_uuid(id)).await?;
    Ok(tagged(StatusCode::OK, note.version, NoteOut::from(&note)))
}

/// Change a note: its author, or an editor or owner of its board.
#[utoipa::path(patch, path = "/notes/{note_id}", tag = "notes", request_body = UpdateNoteIn,
    params(("note_id" = Uuid, Path, description = "The note's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["notes:write"])),
    responses(
        (status = 200, description = "Updated", body = NoteOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = PayloadTooLarge)))]
async fn update_note(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<UpdateNoteIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::NotesWrite)?;
    let changes = NoteChanges {
        title: input.title.as_deref().map(|t| field("title", NoteTitle::parse(t))).transpose()?,
        body: input.body.as_deref().map(body).transpose()?,
        tags: input.tags.as_deref().map(tags).transpose()?,
        pinned: input.pinned,
        archived: input.archived,
        board_id: Option::<Option<Uuid>>::from(input.board_id).map(|b| b.map(BoardId::from_uuid)),
        card_id: Option::<Option<Uuid>>::from(input.card_id).map(|c| c.map(CardId::from_uuid)),
    };
    let note = s.notes.update(caller, NoteId::from_uuid(id), changes, expected).await?;
    Ok(tagged(StatusCode::OK, note.version, NoteOut::from(&note)))
}

/// Delete a note: its author, or an editor or owner of its board.
#[utoipa::path(delete, path = "/notes/{note_id}", tag = "notes",
    params(("note_id" = Uuid, Path, description = "The note's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["notes:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_note(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::NotesWrite)?;
    s.notes.delete(caller, NoteId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_only_for_their_kind_of_list() {
        let after = NoteCursor::After(NoteId::from_uuid(Uuid::from_u128(7)));
        assert_eq!(decode_cursor(&encode_cursor(after), false).ok(), Some(after));
        assert!(decode_cursor(&encode_cursor(after), true).is_err());
        let at = NoteCursor::Position(40);
        assert_eq!(decode_cursor(&encode_cursor(at), true).ok(), Some(at));
        assert!(decode_cursor(&encode_cursor(at), false).is_err());
        for bad in ["", "!!!", &URL_SAFE_NO_PAD.encode("n1:p:-1"), &URL_SAFE_NO_PAD.encode("n1:p:99999999999")] {
            assert!(decode_cursor(bad, true).is_err(), "{bad}");
        }
    }
}
