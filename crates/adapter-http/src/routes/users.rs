//! User administration.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use identity::{DisplayName, Email, NewUser, Password, Role, Scope, User, UserPatch, UserStatus};
use kernel::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch, etag};
use crate::openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_user, list_users)).routes(routes!(get_user, update_user))
}

/// A user account.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserOut {
    id: Uuid,
    email: String,
    display_name: String,
    #[schema(pattern = "^(admin|member)$")]
    role: String,
    #[schema(pattern = "^(active|disabled)$")]
    status: String,
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.to_string(),
            display_name: u.display_name.as_str().to_owned(),
            role: u.role.as_str().to_owned(),
            status: u.status.as_str().to_owned(),
            version: u.version.get(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A user with its `ETag`.
pub(crate) fn user_response(status: StatusCode, user: &User) -> Response {
    (status, [(header::ETAG, etag(user.version))], axum::Json(UserOut::from(user))).into_response()
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserIn {
    /// Unique, case-insensitive: one `@` with text before it, and a domain with a dot neither
    /// first nor last; no whitespace or control characters.
    #[schema(
        max_length = 254,
        pattern = r"^[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+@[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000.][^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*\.[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^@\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000.]$"
    )]
    #[garde(length(chars, max = 254))]
    email: String,
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 100))]
    display_name: String,
    /// Omit for an account that signs in only through SSO.
    #[schema(min_length = 8, max_length = 128)]
    #[garde(inner(length(chars, min = 8, max = 128)))]
    password: Option<String>,
    #[schema(pattern = "^(admin|member)$")]
    #[garde(skip)]
    role: String,
}

/// A partial update of a user.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(inner(length(chars, min = 1, max = 100)))]
    display_name: Option<String>,
    #[schema(pattern = "^(admin|member)$")]
    #[garde(skip)]
    role: Option<String>,
    #[schema(pattern = "^(active|disabled)$")]
    #[garde(skip)]
    status: Option<String>,
    #[schema(min_length = 8, max_length = 128)]
    #[garde(inner(length(chars, min = 8, max = 128)))]
    password: Option<String>,
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUserIn,
    security(("session" = []), ("bearer" = ["users:manage"])),
    responses(
        (status = 201, description = "Created", body = UserOut, headers(("ETag" = String), ("Location" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 409, response = Conflict),
        (status = 422, response = Unprocessable)))]
async fn create_user(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateUserIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::UsersManage)?;
    let new = NewUser {
        email: Email::parse(&body.email)?,
        display_name: DisplayName::parse(&body.display_name)?,
        password: body.password.as_deref().map(Password::parse).transpose()?,
        role: Role::parse(&body.role)?,
    };
    let user = s.identity.create_user(caller, new).await?;
    let mut response = user_response(StatusCode::CREATED, &user);
    if let Ok(location) = format!("/api/v1/users/{}", user.id).parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// List users (administrators).
#[utoipa::path(get, path = "/users", tag = "users", params(PageParams),
    security(("session" = []), ("bearer" = ["users:manage"])),
    responses(
        (status = 200, description = "A page of users", body = Paged<UserOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_users(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<UserOut>>, ApiError> {
    let caller = auth.require(Scope::UsersManage)?;
    let users = s.identity.list_users(caller, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(users, |u| UserOut::from(&u))))
}

/// Get a user (administrators, or the user themselves).
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path, description = "The user's id")),
    security(("session" = []), ("bearer" = ["users:manage"])),
    responses(
        (status = 200, description = "The user", body = UserOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_user(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = if auth.caller.user_id.as_uuid() == id { &auth.caller } else { auth.require(Scope::UsersManage)? };
    let user = s.identity.get_user(caller, UserId::from_uuid(id)).await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Change a user (administrators). Send `If-Match` with the ETag you read to avoid lost updates.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UpdateUserIn,
    params(("id" = Uuid, Path, description = "The user's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["users:manage"])),
    responses(
        (status = 200, description = "Updated", body = UserOut, headers(("ETag" = String))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable)))]
async fn update_user(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(body): ApiJson<UpdateUserIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::UsersManage)?;
    let patch = UserPatch {
        display_name: body.display_name.as_deref().map(DisplayName::parse).transpose()?,
        role: body.role.as_deref().map(Role::parse).transpose()?,
        status: body.status.as_deref().map(UserStatus::parse).transpose()?,
        password: body.password.as_deref().map(Password::parse).transpose()?,
    };
    let user = s.identity.update_user(caller, UserId::from_uuid(id), patch, expected).await?;
    Ok(user_response(StatusCode::OK, &user))
}
