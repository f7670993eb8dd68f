//! Server-rendered pages for people in a browser: sign-in (`/login`), the dashboard (`/`) and
//! personal access tokens (`/settings/tokens`). Plain HTML from `maud` templates (escaped by
//! default) and one stylesheet compiled into the binary: no front-end build, no CDN, no script.
//!
//! Pages are not part of the API: they are outside `/api/v1` and the OpenAPI document, their
//! errors are HTML pages rather than problem documents, and they send a stricter
//! Content-Security-Policy. Every form of a signed-in page carries the session's CSRF token in
//! a hidden `csrf_token` field ([`form::PageForm`]); the sign-in form, which has no session
//! yet, is guarded by an origin check instead ([`login`]). See decision 0025.

mod dashboard;
mod form;
pub(crate) use form::PageForm;
mod layout;
mod login;
mod tokens;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;
use crate::middleware::KeepBody;
use crate::state::AppState;

/// The pages' stylesheet, served at [`STYLESHEET`].
const APP_CSS: &str = include_str!("app.css");
/// Where the stylesheet is served.
pub(crate) const STYLESHEET: &str = "/assets/app.css";

/// The pages and their assets, with the pages' Content-Security-Policy and Referrer-Policy.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let csp =
        HeaderValue::try_from(content_security_policy(state)).unwrap_or_else(|_| HeaderValue::from_static(BASE_POLICY));
    Router::new()
        .route("/", get(dashboard::page))
        .route("/login", get(login::page).post(login::submit))
        .route("/settings/tokens", get(tokens::page).post(tokens::create))
        .route("/settings/tokens/{id}/revoke", post(tokens::revoke))
        .route(STYLESHEET, get(stylesheet))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
        // `no-referrer` (the API's default) would make browsers send `Origin: null` on the
        // pages' own form posts, which the sign-in origin check must be able to read.
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// Everything but the form targets.
const BASE_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' policy: nothing but our stylesheet and images, no script at all, no framing, and
/// forms that post to us. Signing out posts to `/auth/logout`, which may redirect to a
/// provider's end-session endpoint, and browsers check `form-action` on that redirect too, so
/// the configured providers' issuer origins (where their end-session endpoints live) are
/// allowed as form targets as well.
fn content_security_policy(state: &AppState) -> String {
    let mut origins: Vec<String> = state.identity.sso_providers().iter().filter_map(|p| origin_of(&p.issuer)).collect();
    origins.sort();
    origins.dedup();
    if origins.is_empty() {
        return BASE_POLICY.to_owned();
    }
    BASE_POLICY.replace("form-action 'self'", &format!("form-action 'self' {}", origins.join(" ")))
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased; `None` for anything else
/// (including a value that could smuggle another directive into the policy).
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && authority.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b));
    valid.then(|| format!("{scheme}://{authority}"))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        APP_CSS,
    )
        .into_response()
}

/// A page's answer when something went wrong: an HTML page with the status and a short,
/// fixed explanation (the API's problem documents are for programs).
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// 403 for a form whose CSRF token is missing or wrong.
    pub(crate) fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
        )
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        // The API's details are written for people and never carry internals (a 5xx detail
        // is generic), so they can be shown as they are.
        Self { status: e.status, message: e.detail }
    }
}

macro_rules! page_error_from {
    ($($error:ty),+) => {$(
        impl From<$error> for PageError {
            fn from(e: $error) -> Self {
                ApiError::from(e).into()
            }
        }
    )+};
}
page_error_from!(identity::IdentityError, board::BoardError, reminders::ReminderError, ::dashboard::DashboardError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = layout::bare(
            title,
            &maud::html! {
                h1 { (title) }
                p .error { (self.message) }
                p { a href="/" { "Back to the dashboard" } }
            },
        );
        html(self.status, body)
    }
}

/// An HTML response the edge middleware leaves alone, whatever its status.
pub(crate) fn html(status: StatusCode, markup: maud::Markup) -> Response {
    let mut response =
        (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], markup.into_string())
            .into_response();
    response.extensions_mut().insert(KeepBody);
    response
}

/// `303 See Other` to a local path: after a form post, the browser fetches the target with GET.
pub(crate) fn see_other(location: &str) -> Response {
    let value = HeaderValue::try_from(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_are_scheme_and_authority_and_nothing_else_passes() {
        assert_eq!(origin_of("https://IdP.example.com/realms/x").as_deref(), Some("https://idp.example.com"));
        assert_eq!(origin_of("http://127.0.0.1:9090").as_deref(), Some("http://127.0.0.1:9090"));
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://a.example; script-src *"), None);
        assert_eq!(origin_of("https://user@a.example"), None);
        assert_eq!(origin_of("ftp://a.example"), None);
    }
}
