//! Cards: create (appended to a column), list with filters, read, change, move, delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use board::{CardChanges, CardFilter, CardMove, CardTitle, Description, NewCard};
use chrono::{DateTime, Utc};
use identity::Scope;
use kernel::{BoardId, CardId, ColumnId, LabelId, UserId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{CardOut, MAX_CARD_REFS, Nullable, created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cards, create_card))
        .routes(routes!(get_card, update_card, delete_card))
        .routes(routes!(move_card))
}

/// A card to append to a column of the board.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCardIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 200))]
    title: String,
    /// A column of the same board; the card goes last.
    #[garde(skip)]
    column_id: Uuid,
    /// Markdown; empty when omitted.
    #[serde(default)]
    #[schema(max_length = 20000)]
    #[garde(length(chars, max = 20000))]
    description: String,
    /// Ids of the board's labels (duplicates are ignored).
    #[serde(default)]
    #[schema(max_items = 50)]
    #[garde(length(max = MAX_CARD_REFS))]
    labels: Vec<Uuid>,
    /// Ids of board members (duplicates are ignored).
    #[serde(default)]
    #[schema(max_items = 50)]
    #[garde(length(max = MAX_CARD_REFS))]
    assignees: Vec<Uuid>,
    /// When it is due (RFC 3339; stored in UTC).
    #[garde(skip)]
    due_at: Option<DateTime<Utc>>,
}

/// Changes to a card; omitted fields stay as they are. Move it with `POST /cards/{card_id}/move`.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateCardIn {
    /// One line, not blank; surrounding whitespace is trimmed. `null` leaves it as it is.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 200))]
    title: Option<String>,
    /// Markdown. `null` leaves it as it is; `""` empties it.
    #[schema(max_length = 20000)]
    #[garde(length(chars, max = 20000))]
    description: Option<String>,
    /// The complete new set of labels. `null` leaves them as they are; `[]` removes them all.
    #[schema(max_items = 50)]
    #[garde(length(max = MAX_CARD_REFS))]
    labels: Option<Vec<Uuid>>,
    /// The complete new set of assignees. `null` leaves them as they are; `[]` removes them all.
    #[schema(max_items = 50)]
    #[garde(length(max = MAX_CARD_REFS))]
    assignees: Option<Vec<Uuid>>,
    /// A new due date; `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    #[garde(skip)]
    due_at: Nullable<DateTime<Utc>>,
    /// Archive (`true`) or restore (`false`). Restoring counts against the column's WIP limit.
    #[garde(skip)]
    archived: Option<bool>,
}

/// Where to move a card. `before_id` names the card it is placed in front of, `after_id` the
/// card it is placed behind (both in the destination column); neither places it last.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
#[expect(clippy::struct_field_names, reason = "the field names are the public API's (SPEC §4.1)")]
pub(crate) struct MoveCardIn {
    /// The destination column, on the same board (possibly the card's own).
    #[garde(skip)]
    column_id: Uuid,
    /// The sibling the card is placed in front of.
    #[garde(skip)]
    before_id: Option<Uuid>,
    /// The sibling the card is placed behind.
    #[garde(skip)]
    after_id: Option<Uuid>,
}

/// Which cards to list; every given filter must match.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct CardFilters {
    /// Only cards in this column.
    #[garde(skip)]
    column_id: Option<Uuid>,
    /// Only cards assigned to this user.
    #[garde(skip)]
    assignee: Option<Uuid>,
    /// Only cards carrying this label.
    #[garde(skip)]
    label: Option<Uuid>,
    /// Only cards due strictly before this instant (RFC 3339; cards without a due date are left
    /// out).
    #[garde(skip)]
    due_before: Option<DateTime<Utc>>,
    /// Only archived (`true`) or only open (`false`) cards; both when omitted.
    #[garde(skip)]
    archived: Option<bool>,
}

impl From<&CardFilters> for CardFilter {
    fn from(f: &CardFilters) -> Self {
        Self {
            column_id: f.column_id.map(ColumnId::from_uuid),
            assignee: f.assignee.map(UserId::from_uuid),
            label: f.label.map(LabelId::from_uuid),
            due_before: f.due_before,
            archived: f.archived,
        }
    }
}

fn label_ids(ids: Vec<Uuid>) -> Vec<LabelId> {
    ids.into_iter().map(LabelId::from_uuid).collect()
}

fn user_ids(ids: Vec<Uuid>) -> Vec<UserId> {
    ids.into_iter().map(UserId::from_uuid).collect()
}

/// The board's cards matching the filters, by id (archived ones included unless filtered out).
#[utoipa::path(get, path = "/boards/{board_id}/cards", tag = "cards",
    params(("board_id" = Uuid, Path, description = "The board's id"), CardFilters, PageParams),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "A page of cards", body = Paged<CardOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 422, response = Unprocessable)))]
async fn list_cards(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(board_id): ApiPath<Uuid>,
    ApiQuery(filters): ApiQuery<CardFilters>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<CardOut>>, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let cards = s.boards.list_cards(caller, BoardId::from_uuid(board_id), (&filters).into(), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(cards, |c| CardOut::from(&c))))
}

/// Append a card to a column of the board (editors and owners), within the column's WIP limit:
/// a full column answers 409 `WIP_LIMIT_EXCEEDED`.
#[utoipa::path(post, path = "/boards/{board_id}/cards", tag = "cards", request_body = CreateCardIn,
    params(("board_id" = Uuid, Path, description = "The board's id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 201, description = "Created", body = CardOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable)))]
async fn create_card(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(board_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateCardIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let input = NewCard {
        title: field("title", CardTitle::parse(&body.title))?,
        column_id: ColumnId::from_uuid(body.column_id),
        description: field("description", Description::parse(&body.description))?,
        labels: label_ids(body.labels),
        assignees: user_ids(body.assignees),
        due_at: body.due_at,
    };
    let card = s.boards.create_card(caller, BoardId::from_uuid(board_id), input).await?;
    Ok(created(&format!("/api/v1/cards/{}", card.id), Some(card.version), CardOut::from(&card)))
}

/// One card.
#[utoipa::path(get, path = "/cards/{card_id}", tag = "cards",
    params(("card_id" = Uuid, Path, description = "The card's id")),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "The card", body = CardOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_card(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let card = s.boards.get_card(caller, CardId::from_uuid(id)).await?;
    Ok(tagged(StatusCode::OK, card.version, CardOut::from(&card)))
}

/// Change a card's title, description, labels, assignees or due date, or archive or restore it
/// (editors and owners). Restoring into a full column answers 409 `WIP_LIMIT_EXCEEDED`.
#[utoipa::path(patch, path = "/cards/{card_id}", tag = "cards", request_body = UpdateCardIn,
    params(("card_id" = Uuid, Path, description = "The card's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Updated", body = CardOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn update_card(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<UpdateCardIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let changes = CardChanges {
        title: body.title.as_deref().map(|t| field("title", CardTitle::parse(t))).transpose()?,
        description: body.description.as_deref().map(|d| field("description", Description::parse(d))).transpose()?,
        labels: body.labels.map(label_ids),
        assignees: body.assignees.map(user_ids),
        due_at: body.due_at.into(),
        archived: body.archived,
    };
    let card = s.boards.update_card(caller, CardId::from_uuid(id), changes, expected).await?;
    Ok(tagged(StatusCode::OK, card.version, CardOut::from(&card)))
}

/// Delete a card and its comments (editors and owners).
#[utoipa::path(delete, path = "/cards/{card_id}", tag = "cards",
    params(("card_id" = Uuid, Path, description = "The card's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_card(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    s.boards.delete_card(caller, CardId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a card within its column or to another column of the board (editors and owners).
/// Entering another column counts against its WIP limit: a full one answers 409
/// `WIP_LIMIT_EXCEEDED`.
#[utoipa::path(post, path = "/cards/{card_id}/move", tag = "cards", request_body = MoveCardIn,
    params(("card_id" = Uuid, Path, description = "The card's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Moved", body = CardOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn move_card(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<MoveCardIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let to = CardMove {
        column_id: ColumnId::from_uuid(body.column_id),
        before_id: body.before_id.map(CardId::from_uuid),
        after_id: body.after_id.map(CardId::from_uuid),
    };
    let card = s.boards.move_card(caller, CardId::from_uuid(id), to, expected).await?;
    Ok(tagged(StatusCode::OK, card.version, CardOut::from(&card)))
}
