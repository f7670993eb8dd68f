//! Single sign-on in the browser: `GET /auth/oidc/{provider}/login` sends the browser to the
//! provider, `GET /auth/oidc/{provider}/callback` finishes the sign-in, and `POST /auth/logout`
//! (the pages' sign-out form) ends the session here and, for a session that came from a provider
//! with an end-session endpoint, there too.
//!
//! The attempt is bound to the browser by a short-lived `HttpOnly`, `SameSite=Lax` cookie whose
//! secret names a server-side record (state, nonce, PKCE verifier) that the callback takes once.
//! A refused callback clears that cookie, starts no session and sends the browser to the sign-in
//! page with a fixed reason code (`/login?error=invalid_state`); identity audits it.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use identity::{Authenticated, IdentityError, SsoCallback};
use serde::Deserialize;

use crate::auth::{request_meta, session_secret};
use crate::pages::{PageError, PageForm, see_other};
use crate::routes::auth::{expired_cookie, removal, session_cookie, site_cookie};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/oidc/{provider}/login", get(begin))
        .route("/auth/oidc/{provider}/callback", get(callback))
        .route("/auth/logout", post(logout))
}

/// Sends the browser to the provider with a fresh attempt.
async fn begin(State(s): State<AppState>, Path(provider): Path<String>) -> Response {
    match s.identity.sso_begin(&provider).await {
        Ok(start) => {
            let cookie = site_cookie(&s.settings, s.settings.sso_cookie_name(), start.attempt_secret, start.ttl);
            (CookieJar::new().add(cookie), see_other(&start.redirect_url)).into_response()
        }
        Err(IdentityError::Sso(reason)) => see_other(&format!("/login?error={}", reason.code())),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The authorization response's parameters (RFC 6749 §4.1.2, RFC 9207).
#[derive(Debug, Default, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// Finishes the sign-in: a new session (the old one, if any, is revoked) and on to `/`.
async fn callback(State(s): State<AppState>, Path(provider): Path<String>, parts: Parts) -> Response {
    // A malformed query is read as an empty one, which the state check then refuses.
    let query = Query::<CallbackQuery>::try_from_uri(&parts.uri).map(|Query(q)| q).unwrap_or_default();
    let callback = SsoCallback { code: query.code, state: query.state, iss: query.iss, error: query.error };
    let jar = CookieJar::from_headers(&parts.headers);
    let attempt = jar.get(s.settings.sso_cookie_name()).map(|c| c.value().to_owned());
    let previous = session_secret(&parts, &s);
    let meta = request_meta(&parts, &s);
    let spent = CookieJar::new().add(removal(&s.settings, s.settings.sso_cookie_name()));
    match s.identity.sso_complete(&provider, attempt.as_deref(), callback, previous.as_deref(), &meta).await {
        Ok(outcome) => {
            let ttl = outcome.session.session.absolute_expires_at - outcome.session.session.created_at;
            let jar = spent.add(session_cookie(&s.settings, outcome.session.secret, ttl));
            (jar, see_other("/")).into_response()
        }
        Err(IdentityError::Sso(reason)) => {
            (spent, see_other(&format!("/login?error={}", reason.code()))).into_response()
        }
        Err(e) => (spent, PageError::from(e)).into_response(),
    }
}

/// The sign-out form: ends the session and clears the cookie, then goes to the provider's
/// end-session endpoint when the session came from one that has it, else to `/login`.
async fn logout(State(s): State<AppState>, form: PageForm) -> Response {
    let auth = form.user.0;
    let next = match &auth.via {
        Authenticated::Session { session, .. } => s.identity.sso_logout_url(session).await,
        Authenticated::Token { .. } => None,
    };
    if let Some(secret) = &auth.session_secret
        && let Err(e) = s.identity.logout(secret, &auth.caller).await
    {
        return PageError::from(e).into_response();
    }
    let jar = CookieJar::new().add(expired_cookie(&s.settings));
    (jar, see_other(next.as_deref().unwrap_or("/login"))).into_response()
}
