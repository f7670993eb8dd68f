//! Boards and their members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use board::{BoardChanges, BoardName, BoardViewRead, Description, NewBoard, NewMember};
use identity::Scope;
use kernel::{BoardId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{BoardOut, BoardViewOut, MemberOut, RoleDto, created, field, tagged};
use crate::auth::Auth;
use crate::board_views::AcceptsGzip;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_boards, create_board))
        .routes(routes!(get_board, update_board, delete_board))
        .routes(routes!(list_members, add_member))
        .routes(routes!(update_member, remove_member))
}

/// A new board; the caller becomes its owner.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBoardIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 100))]
    name: String,
    /// Markdown; empty when omitted.
    #[serde(default)]
    #[schema(max_length = 20000)]
    #[garde(length(chars, max = 20000))]
    description: String,
}

/// Changes to a board; omitted (or `null`) fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBoardIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 100))]
    name: Option<String>,
    /// Markdown.
    #[schema(max_length = 20000)]
    #[garde(length(chars, max = 20000))]
    description: Option<String>,
    /// Archive (`true`) or restore (`false`).
    #[garde(skip)]
    archived: Option<bool>,
}

/// A member to add.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMemberIn {
    /// An existing user.
    #[garde(skip)]
    user_id: Uuid,
    #[garde(skip)]
    role: RoleDto,
}

/// A member's new role.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMemberIn {
    #[garde(skip)]
    role: RoleDto,
}

/// The boards the caller is a member of, by id.
#[utoipa::path(get, path = "/boards", tag = "boards", params(PageParams),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "A page of boards", body = Paged<BoardOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_boards(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<BoardOut>>, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let boards = s.boards.list_boards(caller, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(boards, |b| BoardOut::from(&b))))
}

/// Create a board; the caller becomes its owner.
#[utoipa::path(post, path = "/boards", tag = "boards", request_body = CreateBoardIn,
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 201, description = "Created", body = BoardOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 409, response = Conflict),
        (status = 422, response = Unprocessable)))]
async fn create_board(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateBoardIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let input = NewBoard {
        name: field("name", BoardName::parse(&body.name))?,
        description: field("description", Description::parse(&body.description))?,
    };
    let board = s.boards.create_board(caller, input).await?;
    Ok(created(&format!("/api/v1/boards/{}", board.id), Some(board.version), BoardOut::from(&board)))
}

/// The whole board in one response: members, labels, and the columns in order, each with its
/// open cards in order. The `ETag` is the board's version. Sent gzip-compressed when
/// `Accept-Encoding` allows it (then the `ETag` is weak: `W/"7"`, accepted by `If-Match` too).
#[utoipa::path(get, path = "/boards/{board_id}", tag = "boards",
    params(("board_id" = Uuid, Path, description = "The board's id"),
           ("Accept-Encoding" = Option<String>, Header, description = "`gzip` for a compressed response")),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "The board with its content", body = BoardViewOut, headers(
            ("ETag" = String, description = "The board's version; weak when the body is compressed"),
            ("Content-Encoding" = Option<String>, description = "`gzip` when compressed"),
            ("Vary" = String, description = "`accept-encoding`"))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_board(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    encoding: AcceptsGzip,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let board_id = BoardId::from_uuid(id);
    let rendered = match s.board_views.get(board_id) {
        Some(copy) => match s.boards.get_board_unless(caller, board_id, copy.revision).await? {
            BoardViewRead::Unchanged => copy,
            BoardViewRead::Changed(view) => s.board_views.render(&view)?,
        },
        None => s.board_views.render(&s.boards.get_board(caller, board_id).await?)?,
    };
    rendered.response(encoding).await
}

/// Rename, re-describe, archive or restore a board (editors and owners).
#[utoipa::path(patch, path = "/boards/{board_id}", tag = "boards", request_body = UpdateBoardIn,
    params(("board_id" = Uuid, Path, description = "The board's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Updated", body = BoardOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn update_board(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<UpdateBoardIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let changes = BoardChanges {
        name: body.name.as_deref().map(|n| field("name", BoardName::parse(n))).transpose()?,
        description: body.description.as_deref().map(|d| field("description", Description::parse(d))).transpose()?,
        archived: body.archived,
    };
    let board = s.boards.update_board(caller, BoardId::from_uuid(id), changes, expected).await?;
    Ok(tagged(StatusCode::OK, board.version, BoardOut::from(&board)))
}

/// Delete a board and everything on it (owners).
#[utoipa::path(delete, path = "/boards/{board_id}", tag = "boards",
    params(("board_id" = Uuid, Path, description = "The board's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_board(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    s.boards.delete_board(caller, BoardId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The board's members, by user id.
#[utoipa::path(get, path = "/boards/{board_id}/members", tag = "boards",
    params(("board_id" = Uuid, Path, description = "The board's id"), PageParams),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "A page of members", body = Paged<MemberOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 422, response = Unprocessable)))]
async fn list_members(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<MemberOut>>, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let members = s.boards.list_members(caller, BoardId::from_uuid(id), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(members, |m| MemberOut::from(&m))))
}

/// Add an existing user to the board (owners).
#[utoipa::path(post, path = "/boards/{board_id}/members", tag = "boards", request_body = AddMemberIn,
    params(("board_id" = Uuid, Path, description = "The board's id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 201, description = "Added", body = MemberOut, headers(("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Unprocessable)))]
async fn add_member(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AddMemberIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let input = NewMember { user_id: UserId::from_uuid(body.user_id), role: body.role.into() };
    let member = s.boards.add_member(caller, BoardId::from_uuid(id), input).await?;
    let location = format!("/api/v1/boards/{}/members/{}", member.board_id, member.user_id);
    Ok(created(&location, None, MemberOut::from(&member)))
}

/// Change a member's role (owners). A board keeps at least one owner.
#[utoipa::path(patch, path = "/boards/{board_id}/members/{user_id}", tag = "boards", request_body = UpdateMemberIn,
    params(("board_id" = Uuid, Path, description = "The board's id"),
           ("user_id" = Uuid, Path, description = "The member's user id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Updated", body = MemberOut),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Unprocessable)))]
async fn update_member(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath((board_id, user_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<UpdateMemberIn>,
) -> Result<axum::Json<MemberOut>, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let member = s
        .boards
        .update_member_role(caller, BoardId::from_uuid(board_id), UserId::from_uuid(user_id), body.role.into())
        .await?;
    Ok(axum::Json(MemberOut::from(&member)))
}

/// Remove a member: owners remove anyone, any member may leave. A board keeps at least one
/// owner. The member's assignments go with them; each card that loses one gets a new version
/// (`ETag`).
#[utoipa::path(delete, path = "/boards/{board_id}/members/{user_id}", tag = "boards",
    params(("board_id" = Uuid, Path, description = "The board's id"),
           ("user_id" = Uuid, Path, description = "The member's user id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 409, response = Conflict)))]
async fn remove_member(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath((board_id, user_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    s.boards.remove_member(caller, BoardId::from_uuid(board_id), UserId::from_uuid(user_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
