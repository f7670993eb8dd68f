//! Columns of a board: create (appended), read, rename, limit, move, delete when empty.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use board::{ColumnChanges, ColumnMove, ColumnName, NewColumn, WipLimit};
use identity::Scope;
use kernel::{BoardId, ColumnId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{ColumnOut, Nullable, WholeNumber, created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, IfMatch};
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_column)).routes(routes!(get_column, update_column, delete_column))
}

/// A column to append to the board.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateColumnIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 100))]
    name: String,
    /// How many open (non-archived) cards it may hold; omit or `null` for no limit.
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    #[garde(skip)] // range-checked by `WipLimit::parse`
    wip_limit: Option<WholeNumber>,
}

/// Changes to a column; omitted fields stay as they are.
///
/// Sending `before_id` or `after_id` (or both) moves the column: in front of the column named
/// by `before_id`, behind the one named by `after_id`; both `null` moves it last.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateColumnIn {
    /// One line, not blank; surrounding whitespace is trimmed. `null` leaves it as it is.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 100))]
    name: Option<String>,
    /// A new WIP limit; `null` removes the limit.
    #[serde(default)]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    #[garde(skip)] // range-checked by `WipLimit::parse`, as on create
    wip_limit: Nullable<WholeNumber>,
    /// Move the column in front of this column of the same board.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    #[garde(skip)]
    before_id: Nullable<Uuid>,
    /// Move the column behind this column of the same board.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    #[garde(skip)]
    after_id: Nullable<Uuid>,
}

fn wip_limit(value: WholeNumber) -> Result<WipLimit, ApiError> {
    field("wip_limit", WipLimit::parse(value.0))
}

/// Append a column to the board (editors and owners).
#[utoipa::path(post, path = "/boards/{board_id}/columns", tag = "columns", request_body = CreateColumnIn,
    params(("board_id" = Uuid, Path, description = "The board's id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 201, description = "Created", body = ColumnOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Unprocessable)))]
async fn create_column(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(board_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateColumnIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let input = NewColumn {
        name: field("name", ColumnName::parse(&body.name))?,
        wip_limit: body.wip_limit.map(wip_limit).transpose()?,
    };
    let column = s.boards.create_column(caller, BoardId::from_uuid(board_id), input).await?;
    Ok(created(&format!("/api/v1/columns/{}", column.id), Some(column.version), ColumnOut::from(&column)))
}

/// One column.
#[utoipa::path(get, path = "/columns/{column_id}", tag = "columns",
    params(("column_id" = Uuid, Path, description = "The column's id")),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "The column", body = ColumnOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_column(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let column = s.boards.get_column(caller, ColumnId::from_uuid(id)).await?;
    Ok(tagged(StatusCode::OK, column.version, ColumnOut::from(&column)))
}

/// Rename a column, set or clear its WIP limit, or move it among the board's columns (editors
/// and owners). Lowering the limit below the current card count is allowed: it only stops cards
/// coming in.
#[utoipa::path(patch, path = "/columns/{column_id}", tag = "columns", request_body = UpdateColumnIn,
    params(("column_id" = Uuid, Path, description = "The column's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Updated", body = ColumnOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn update_column(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<UpdateColumnIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let position = (body.before_id.is_present() || body.after_id.is_present()).then(|| ColumnMove {
        before_id: body.before_id.value().map(ColumnId::from_uuid),
        after_id: body.after_id.value().map(ColumnId::from_uuid),
    });
    let changes = ColumnChanges {
        name: body.name.as_deref().map(|n| field("name", ColumnName::parse(n))).transpose()?,
        wip_limit: body.wip_limit.try_map(wip_limit)?.into(),
        position,
    };
    let column = s.boards.update_column(caller, ColumnId::from_uuid(id), changes, expected).await?;
    Ok(tagged(StatusCode::OK, column.version, ColumnOut::from(&column)))
}

/// Delete a column that holds no cards, archived ones included (editors and owners).
#[utoipa::path(delete, path = "/columns/{column_id}", tag = "columns",
    params(("column_id" = Uuid, Path, description = "The column's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_column(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    s.boards.delete_column(caller, ColumnId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
