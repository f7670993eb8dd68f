//! The caller: profile, sessions and personal access tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use identity::{AccessToken, Authenticated, Scope, ScopeSet, Session, TokenName};
use kernel::{SessionId, TokenId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::users::UserOut;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::openapi::{BadRequest, Forbidden, NotFound, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeOut {
    user: UserOut,
    /// The caller's roles (`admin`, `member`).
    roles: Vec<String>,
    /// How the caller authenticated: `session` or `token`.
    #[schema(pattern = "^(session|token)$")]
    auth: String,
    /// With a session cookie: send as `X-CSRF-Token` on unsafe requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    /// With a token: what it may do.
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
}

/// Who am I.
#[utoipa::path(get, path = "/me", tag = "me", security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "The caller", body = MeOut)))]
async fn me(auth: Auth) -> axum::Json<MeOut> {
    let user = auth.via.user();
    let (kind, scopes) = match &auth.via {
        Authenticated::Session { .. } => ("session", None),
        Authenticated::Token { token, .. } => {
            ("token", Some(token.scopes.names().into_iter().map(str::to_owned).collect()))
        }
    };
    axum::Json(MeOut {
        user: UserOut::from(user),
        roles: vec![user.role.as_str().to_owned()],
        auth: kind.to_owned(),
        csrf_token: auth.csrf_token().map(str::to_owned),
        scopes,
    })
}

/// One of the caller's sessions.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionOut {
    id: Uuid,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    /// When the session ends unless used again (never later than the absolute expiry).
    expires_at: DateTime<Utc>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    /// Whether this is the session making the request.
    current: bool,
}

impl SessionOut {
    fn new(s: &Session, current: Option<SessionId>) -> Self {
        Self {
            id: s.id.as_uuid(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at(),
            client_ip: s.client_ip.clone(),
            user_agent: s.user_agent.clone(),
            current: current == Some(s.id),
        }
    }
}

/// The caller's live sessions, newest first (needs a session, not a token).
#[utoipa::path(get, path = "/me/sessions", tag = "me", params(PageParams), security(("session" = [])),
    responses(
        (status = 200, description = "A page of sessions", body = Paged<SessionOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_sessions(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<SessionOut>>, ApiError> {
    let caller = auth.require_session()?;
    let current = match &auth.via {
        Authenticated::Session { session, .. } => Some(session.id),
        Authenticated::Token { .. } => None,
    };
    let sessions = s.identity.list_sessions(caller, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(sessions, |x| SessionOut::new(&x, current))))
}

/// Revoke one of the caller's sessions (sign it out).
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "me", params(("id" = Uuid, Path, description = "The session's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked"), (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn revoke_session(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require_session()?;
    s.identity.revoke_session(caller, SessionId::from_uuid(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A personal access token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenOut {
    id: Uuid,
    name: String,
    /// The secret's first characters, to recognise it.
    prefix: String,
    scopes: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<&AccessToken> for TokenOut {
    fn from(t: &AccessToken) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name.as_str().to_owned(),
            prefix: t.display_prefix.clone(),
            scopes: t.scopes.names().into_iter().map(str::to_owned).collect(),
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            created_at: t.created_at,
        }
    }
}

/// A token just created, with its secret — shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenCreatedOut {
    #[serde(flatten)]
    info: TokenOut,
    /// The secret: send as `Authorization: Bearer <token>`. It cannot be shown again.
    token: String,
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTokenIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 100))]
    name: String,
    /// One or more of `boards:read`, `boards:write`, `notes:read`, `notes:write`,
    /// `reminders:read`, `reminders:write`, `audit:read`, `webhooks:manage`, `users:manage`.
    #[schema(min_items = 1, max_items = 16, value_type = Vec<ScopeName>)]
    #[garde(length(min = 1, max = 16))]
    scopes: Vec<String>,
    /// When the token stops working; omit for no expiry.
    #[garde(skip)]
    expires_at: Option<DateTime<Utc>>,
}

/// A scope's name: the document lists exactly [`Scope::ALL`].
pub(crate) struct ScopeName;

impl utoipa::PartialSchema for ScopeName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let names = Scope::ALL.iter().map(|scope| scope.as_str());
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("What a token may do."))
            .enum_values(Some(names))
            .into()
    }
}

impl ToSchema for ScopeName {}

/// Create a personal access token; its secret is in the response, once (needs a session).
#[utoipa::path(post, path = "/me/tokens", tag = "me", request_body = CreateTokenIn, security(("session" = [])),
    responses(
        (status = 201, description = "Created; `token` is shown only now", body = TokenCreatedOut),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn create_token(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateTokenIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require_session()?;
    let name = TokenName::parse(&body.name)?;
    let scopes = ScopeSet::parse(&body.scopes)?;
    let (token, secret) = s.identity.create_token(caller, name, scopes, body.expires_at).await?;
    let out = TokenCreatedOut { info: TokenOut::from(&token), token: secret };
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// The caller's tokens (needs a session).
#[utoipa::path(get, path = "/me/tokens", tag = "me", params(PageParams), security(("session" = [])),
    responses(
        (status = 200, description = "A page of tokens", body = Paged<TokenOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_tokens(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<TokenOut>>, ApiError> {
    let caller = auth.require_session()?;
    let tokens = s.identity.list_tokens(caller, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(tokens, |t| TokenOut::from(&t))))
}

/// Revoke one of the caller's tokens; it stops working at once (needs a session).
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "me", params(("id" = Uuid, Path, description = "The token's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked"), (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn revoke_token(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require_session()?;
    s.identity.revoke_token(caller, TokenId::from_uuid(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
