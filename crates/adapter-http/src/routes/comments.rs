//! Comments on cards: editors and owners write them, viewers read them; authors edit their own,
//! owners may delete anyone's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use board::CommentBody;
use identity::Scope;
use kernel::{CardId, CommentId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{CommentOut, created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_comments, create_comment)).routes(routes!(
        get_comment,
        update_comment,
        delete_comment
    ))
}

/// A comment's text.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentIn {
    /// Markdown, kept as written; not blank.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"[^\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    #[garde(length(chars, min = 1, max = 10000))]
    body: String,
}

impl CommentIn {
    fn parse(&self) -> Result<CommentBody, ApiError> {
        field("body", CommentBody::parse(&self.body))
    }
}

/// The comments on a card, oldest first.
#[utoipa::path(get, path = "/cards/{card_id}/comments", tag = "cards",
    params(("card_id" = Uuid, Path, description = "The card's id"), PageParams),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "A page of comments", body = Paged<CommentOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 422, response = Unprocessable)))]
async fn list_comments(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(card_id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<CommentOut>>, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let comments = s.boards.list_comments(caller, CardId::from_uuid(card_id), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(comments, |c| CommentOut::from(&c))))
}

/// Comment on a card (editors and owners).
#[utoipa::path(post, path = "/cards/{card_id}/comments", tag = "cards", request_body = CommentIn,
    params(("card_id" = Uuid, Path, description = "The card's id")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 201, description = "Created", body = CommentOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 422, response = Unprocessable)))]
async fn create_comment(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(card_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CommentIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let comment = s.boards.create_comment(caller, CardId::from_uuid(card_id), body.parse()?).await?;
    Ok(created(&format!("/api/v1/comments/{}", comment.id), Some(comment.version), CommentOut::from(&comment)))
}

/// One comment.
#[utoipa::path(get, path = "/comments/{comment_id}", tag = "cards",
    params(("comment_id" = Uuid, Path, description = "The comment's id")),
    security(("session" = []), ("bearer" = ["boards:read"])),
    responses(
        (status = 200, description = "The comment", body = CommentOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_comment(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsRead)?;
    let comment = s.boards.get_comment(caller, CommentId::from_uuid(id)).await?;
    Ok(tagged(StatusCode::OK, comment.version, CommentOut::from(&comment)))
}

/// Edit one's own comment.
#[utoipa::path(patch, path = "/comments/{comment_id}", tag = "cards", request_body = CommentIn,
    params(("comment_id" = Uuid, Path, description = "The comment's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 200, description = "Updated", body = CommentOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn update_comment(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<CommentIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    let comment = s.boards.update_comment(caller, CommentId::from_uuid(id), body.parse()?, expected).await?;
    Ok(tagged(StatusCode::OK, comment.version, CommentOut::from(&comment)))
}

/// Delete a comment: one's own (editors), or anyone's (owners).
#[utoipa::path(delete, path = "/comments/{comment_id}", tag = "cards",
    params(("comment_id" = Uuid, Path, description = "The comment's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["boards:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_comment(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::BoardsWrite)?;
    s.boards.delete_comment(caller, CommentId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
