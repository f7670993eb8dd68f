//! Who is looking at a page, and the forms they post.
//!
//! [`PageUser`] is the signed-in user behind the session cookie; without one a page redirects
//! to `/login`. [`PageForm`] adds, for unsafe methods, the CSRF check of the pages: the form
//! must carry the session's token in a hidden `csrf_token` field (compared in constant time,
//! by the same code as the API's `X-CSRF-Token` check), or nothing happens and the answer is
//! 403.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::layout::Viewer;
use super::{PageError, see_other};
use crate::auth::{Auth, session_auth};
use crate::extract::{BodyError, read_body};
use crate::state::AppState;

/// A signed-in user (through the session cookie; pages do not take bearer tokens).
#[derive(Debug)]
pub(crate) struct PageUser(pub Auth);

impl PageUser {
    /// What the page shell needs.
    pub(crate) fn viewer(&self) -> Viewer<'_> {
        Viewer { name: self.0.via.user().display_name.as_str(), csrf_token: self.0.csrf_token().unwrap_or_default() }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match session_auth(parts, state).await {
            Ok(Some(auth)) => Ok(Self(auth)),
            Ok(None) => Err(to_login(parts)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// `303` to the sign-in page, which brings the user back here afterwards (GET only: a form
/// post cannot be replayed after signing in).
fn to_login(parts: &Parts) -> Response {
    let here = parts.uri.path_and_query().map_or("/", axum::http::uri::PathAndQuery::as_str);
    if parts.method != axum::http::Method::GET || here == "/" {
        return see_other("/login");
    }
    let query = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
    see_other(&format!("/login?{query}"))
}

/// The fields of an `application/x-www-form-urlencoded` body, in order; a name may repeat
/// (checkboxes).
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Reads a form body; anything else is a 400, 413 or 415 page.
pub(crate) async fn read_fields(parts: Parts, body: Body, state: &AppState) -> Result<Fields, PageError> {
    let bytes = read_body(body, state.settings.body_limit).await.map_err(|error| match error {
        BodyError::TooLarge => PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."),
        BodyError::Unreadable => PageError::new(StatusCode::BAD_REQUEST, "The form could not be read."),
    })?;
    // axum's form extractor checks the media type and parses; the body is already within the limit.
    match axum::Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, Body::from(bytes)), state).await
    {
        Ok(axum::Form(fields)) => Ok(Fields(fields)),
        Err(rejection) => {
            let status = rejection.status();
            let status = if status.is_client_error() { status } else { StatusCode::BAD_REQUEST };
            Err(PageError::new(status, "The form could not be read."))
        }
    }
}

/// A form posted by a signed-in user, its CSRF token checked.
#[derive(Debug)]
pub(crate) struct PageForm {
    /// Who posted it.
    pub user: PageUser,
    /// What they sent (the `csrf_token` field included).
    pub fields: Fields,
}

impl FromRequest<AppState> for PageForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = PageUser::from_request_parts(&mut parts, state).await?;
        let fields = read_fields(parts, body, state).await.map_err(IntoResponse::into_response)?;
        let sent = fields.get("csrf_token").unwrap_or_default();
        if !user.0.csrf_matches(sent.as_bytes()) {
            return Err(PageError::csrf().into_response());
        }
        Ok(Self { user, fields })
    }
}
