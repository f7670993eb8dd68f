//! Labels: board-scoped names and colours put on cards.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use board::{Color, LabelChanges, LabelName, NewLabel};
use identity::Scope;
use kernel::{BoardId, LabelId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{LabelOut, created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_labels, create_label)).routes(routes!(
        get_label,
        update_label,
        delete_label
    ))
}

/// Exactly `#` and six hexadecimal digits, as the schema's pattern says (the domain alone would
/// also accept surrounding whitespace).
fn hex_color(value: &str) -> garde::Result {
    match value.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(()),
        _ => Err(garde::Error::new("must be a colour written #rrggbb in hexadecimal")),
    }
}

/// A new label.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateLabelIn {
    /// One line, not blank; surrounding whitespace is trimmed. Need not be unique.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 50))]
    name: String,
    /// `#rrggbb`; stored in lower case.
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$", example = "#3b82f6")]
    #[garde(custom(|v: &str, (): &()| hex_color(v)))]
    color: String,
}

/// Changes to a label; omitted (or `null`) fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateLabelIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 50))]
    name: Option<String>,
    /// `#rrggbb`; stored in lower case.
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$", example = "#3b82f6")]
    #[garde(inner(custom(|v: &str, (): &()| hex_color(v))))]
    color: Option<String>,
}

/// The board's labels, by id.
#[utoipa::path(get, path = "/boards/{board_id}/labels", tag = "cards",
    params(("board_id" = Uuid, Path, description = "The board's id"), PageParams),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "A page of labels", body = Paged<LabelOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 422, response = Unprocessable)))]
async fn list_labels(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(board_id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<LabelOut>>, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let labels = s.boards.list_labels(caller, BoardId::from_uuid(board_id), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(labels, |l| LabelOut::from(&l))))
}

/// Create a label on the board (editors and owners).
#[utoipa::path(post, path = "/boards/{board_id}/labels", tag = "cards", request_body = CreateLabelIn,
    params(("board_id" = Uuid, Path, description = "The board's id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 201, description = "Created", body = LabelOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Unprocessable)))]
async fn create_label(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(board_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateLabelIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let input = NewLabel {
        name: field("name", LabelName::parse(&body.name))?,
        color: field("color", Color::parse(&body.color))?,
    };
    let label = s.boards.create_label(caller, BoardId::from_uuid(board_id), input).await?;
    Ok(created(&format!("/api/v1/labels/{}", label.id), Some(label.version), LabelOut::from(&label)))
}

/// One label.
#[utoipa::path(get, path = "/labels/{label_id}", tag = "cards",
    params(("label_id" = Uuid, Path, description = "The label's id")),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "The label", body = LabelOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_label(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let label = s.boards.get_label(caller, LabelId::from_uuid(id)).await?;
    Ok(tagged(StatusCode::OK, label.version, LabelOut::from(&label)))
}

/// Rename or recolour a label (editors and owners).
#[utoipa::path(patch, path = "/labels/{label_id}", tag = "cards", request_body = UpdateLabelIn,
    params(("label_id" = Uuid, Path, description = "The label's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Updated", body = LabelOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn update_label(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<UpdateLabelIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let changes = LabelChanges {
        name: body.name.as_deref().map(|n| field("name", LabelName::parse(n))).transpose()?,
        color: body.color.as_deref().map(|c| field("color", Color::parse(c))).transpose()?,
    };
    let label = s.boards.update_label(caller, LabelId::from_uuid(id), changes, expected).await?;
    Ok(tagged(StatusCode::OK, label.version, LabelOut::from(&label)))
}

/// Delete a label; the cards carrying it lose it, each with a new version (`ETag`) (editors and
/// owners).
#[utoipa::path(delete, path = "/labels/{label_id}", tag = "cards",
    params(("label_id" = Uuid, Path, description = "The label's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_label(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    s.boards.delete_label(caller, LabelId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
