//! Extractors whose every rejection is a clear problem: JSON bodies (parsed, then validated
//! with garde), path ids, query strings and `If-Match`.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use http_body_util::LengthLimitError;
use kernel::Version;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// Why a request's body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than the configured limit.
    TooLarge,
    /// The connection failed while it was being read.
    Unreadable,
}

/// Reads a request's whole body, refusing one longer than `limit` bytes. Every body Corkboard
/// reads comes through here (JSON bodies below, page forms in `pages::form`), so the limit needs
/// no layer putting it into every request's extensions (decision 0044).
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        if std::error::Error::source(&error).is_some_and(<dyn std::error::Error>::is::<LengthLimitError>) {
            BodyError::TooLarge
        } else {
            BodyError::Unreadable
        }
    })
}

/// A JSON body, deserialised and then validated; unknown fields are refused by the DTOs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiJson<T>(pub T);

impl<T> FromRequest<AppState> for ApiJson<T>
where
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Send the body as application/json.",
            ));
        }
        let bytes = read_body(req.into_body(), state.settings.body_limit).await.map_err(|error| match error {
            BodyError::TooLarge => ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "The request body is too large.",
            ),
            BodyError::Unreadable => ApiError::bad_request("MALFORMED_BODY", "The request body could not be read."),
        })?;
        if has_escaped_nul(&bytes) {
            return Err(nul_refused("body"));
        }
        let value = parse_json::<T>(&bytes)?;
        value.validate().map_err(|report| validation_error(&report))?;
        Ok(Self(value))
    }
}

fn validation_error(report: &garde::Report) -> ApiError {
    ApiError::validation(
        report.iter().map(|(path, error)| FieldError::new(path.to_string(), error.message().to_owned())).collect(),
    )
}

/// No text Corkboard stores may hold a NUL character: PostgreSQL refuses it in `text` and
/// `jsonb`, so it is refused at the door, the same way on both backends.
fn nul_refused(field: &str) -> ApiError {
    ApiError::invalid_field(field, "must not contain NUL (U+0000) characters")
}

/// Whether a JSON document contains the escape `\u0000` inside a string (a raw NUL byte is
/// invalid JSON already). An escaped backslash followed by `u0000` is ordinary text.
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).is_some_and(
        |mime| {
            let mime = mime.trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.to_ascii_lowercase().ends_with("+json"))
        },
    )
}

/// Parses JSON, telling syntax errors (400) from shape errors (422, with the field's path).
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                Err(ApiError::bad_request("MALFORMED_JSON", format!("The body is not valid JSON: {inner}")))
            } else {
                let message = strip_position(&inner.to_string());
                Err(ApiError::invalid_field(field_of(&path, &message), message))
            }
        }
    }
}

/// The refused field's path. serde reports a missing field at its parent, naming it only in
/// the message (``missing field `title` ``), so the name is taken from there.
fn field_of(path: &str, message: &str) -> String {
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (parent, None) => parent.to_owned(),
    }
}

/// `serde_json` appends " at line 1 column 12"; the field path already says where.
fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

/// Path parameters; an id that does not parse names nothing, so it is a 404.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(|_| ApiError::not_found("No such resource."))
    }
}

/// A query string; a parameter that does not parse is a 422 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()> + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(|q| q.to_ascii_lowercase().contains("%00")) {
            return Err(nul_refused("query"));
        }
        let Query(value) = Query::<T>::from_request_parts(parts, state).await.map_err(|rejection| {
            let message = rejection.body_text();
            let message = message.strip_prefix("Failed to deserialize query string: ").unwrap_or(&message);
            let (field, why) = message.split_once(": ").unwrap_or(("query", message));
            ApiError::invalid_field(field.to_owned(), why.to_owned())
        })?;
        value.validate().map_err(|report| validation_error(&report))?;
        Ok(Self(value))
    }
}

/// The version named by `If-Match`, if the header was sent (`*` names any version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IfMatch(pub Option<Version>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.headers.get(header::IF_MATCH) else { return Ok(Self(None)) };
        let raw = raw.to_str().map_err(|_| bad_if_match())?.trim();
        if raw == "*" {
            return Ok(Self(None));
        }
        parse_etag(raw).map(|v| Self(Some(v))).ok_or_else(bad_if_match)
    }
}

fn bad_if_match() -> ApiError {
    ApiError::bad_request("INVALID_IF_MATCH", "If-Match must be one ETag as returned by the API, or *.")
}

/// Parses `"7"` or `W/"7"`: a version as the API writes it (no sign, no leading zero, at most
/// 18 digits), which is what the document's pattern for `If-Match` says.
fn parse_etag(raw: &str) -> Option<Version> {
    let tag = raw.strip_prefix("W/").unwrap_or(raw);
    let digits = tag.strip_prefix('"')?.strip_suffix('"')?;
    if !(1..=18).contains(&digits.len()) || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Version::new)
}

/// The `ETag` header value for a version.
pub(crate) fn etag(version: Version) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", version.get())).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The weak form, `W/"7"`: the same version in another encoding of the bytes (a compressed
/// body); [`parse_etag`] reads both.
pub(crate) fn weak_etag(version: Version) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"{}\"", version.get())).unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip_and_garbage_is_refused() {
        let v = Version::new(42);
        let header = etag(v);
        assert_eq!(parse_etag(header.to_str().unwrap_or_default()), Some(v));
        assert_eq!(parse_etag("W/\"3\""), Some(Version::new(3)));
        for bad in
            ["3", "\"x\"", "\"-1\"", "\"+1\"", "\"07\"", "\"0\"", "\"3\", \"4\"", "\"", "\"1234567890123456789\""]
        {
            assert_eq!(parse_etag(bad), None, "{bad}");
        }
    }

    #[test]
    fn escaped_nul_is_found_but_an_escaped_backslash_is_not_confused_with_it() {
        assert!(has_escaped_nul(br#"{"a": "x\u0000y"}"#));
        assert!(!has_escaped_nul(br#"{"a": "x\\u0000y"}"#));
        assert!(!has_escaped_nul(br#"{"a": "\u00e9"}"#));
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Shape {
        title: String,
        count: u8,
    }

    #[test]
    fn json_syntax_errors_are_400_and_shape_errors_name_the_field() {
        let syntax = parse_json::<Shape>(b"{not json").unwrap_err();
        assert_eq!((syntax.status().as_u16(), syntax.code()), (400, "MALFORMED_JSON"));
        let shape = parse_json::<Shape>(br#"{"title": "x", "count": 300}"#).unwrap_err();
        assert_eq!(shape.status().as_u16(), 422);
        assert_eq!(shape.errors[0].field, "count");
        assert!(!shape.errors[0].message.contains("line"));
        let missing = parse_json::<Shape>(br#"{"title": "x"}"#).unwrap_err();
        assert_eq!(missing.errors[0].field, "count");
    }
}
