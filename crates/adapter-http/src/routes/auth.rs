//! Password sign-in and sign-out for API clients (JSON).

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::users::UserOut;
use crate::auth::{Auth, request_meta, session_secret};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{BadRequest, Forbidden, Unauthorized, Unprocessable};
use crate::state::{AppState, HttpSettings};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout))
}

/// Email and password.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginIn {
    #[schema(max_length = 254)]
    #[garde(length(chars, max = 254))]
    email: String,
    #[schema(max_length = 1024)]
    #[garde(length(chars, max = 1024))]
    password: String,
}

/// The signed-in user and the CSRF token to send with unsafe requests.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LoginOut {
    user: UserOut,
    /// Send as `X-CSRF-Token` on POST, PATCH and DELETE requests made with the cookie.
    csrf_token: String,
}

/// Sign in with a password; sets the session cookie.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginIn, security(()),
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = LoginOut,
            headers(("Set-Cookie" = String, description = "The HttpOnly session cookie"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable)))]
async fn login(State(s): State<AppState>, parts: Parts, ApiJson(body): ApiJson<LoginIn>) -> Result<Response, ApiError> {
    let meta = request_meta(&parts, &s);
    let previous = session_secret(&parts, &s);
    let outcome = s.identity.login(&body.email, &body.password, previous.as_deref(), &meta).await?;
    let ttl = outcome.session.session.absolute_expires_at - outcome.session.session.created_at;
    let cookie = session_cookie(&s.settings, outcome.session.secret.clone(), ttl);
    let out = LoginOut { user: UserOut::from(&outcome.user), csrf_token: outcome.session.session.csrf_token.clone() };
    Ok((CookieJar::new().add(cookie), axum::Json(out)).into_response())
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("session" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 403, response = Forbidden)))]
async fn logout(State(s): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    let caller = auth.require_session()?;
    if let Some(secret) = &auth.session_secret {
        s.identity.logout(secret, caller).await?;
    }
    let jar = CookieJar::new().add(expired_cookie(&s.settings));
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

/// The session cookie.
pub(crate) fn session_cookie(settings: &HttpSettings, secret: String, ttl: chrono::Duration) -> Cookie<'static> {
    site_cookie(settings, settings.session_cookie_name(), secret, ttl)
}

/// A cookie that deletes the session cookie.
pub(crate) fn expired_cookie(settings: &HttpSettings) -> Cookie<'static> {
    removal(settings, settings.session_cookie_name())
}

/// A cookie of ours: for the whole site, HttpOnly, SameSite=Lax (a provider's redirect back is
/// a cross-site top-level navigation that must carry it), and Secure with a `__Host-` name
/// (chosen by `HttpSettings`) unless the server runs on plain-http localhost.
pub(crate) fn site_cookie(
    settings: &HttpSettings,
    name: &'static str,
    value: String,
    ttl: chrono::Duration,
) -> Cookie<'static> {
    let mut cookie = Cookie::new(name, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(settings.secure_cookies);
    cookie.set_path("/");
    cookie.set_max_age(cookie::time::Duration::seconds(ttl.num_seconds()));
    cookie
}

/// A cookie that deletes the cookie `name`.
pub(crate) fn removal(settings: &HttpSettings, name: &'static str) -> Cookie<'static> {
    let mut cookie = site_cookie(settings, name, String::new(), chrono::Duration::zero());
    cookie.make_removal();
    cookie
}
