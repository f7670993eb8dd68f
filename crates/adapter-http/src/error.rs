//! RFC 9457 problem details. Handlers return [`ApiError`]; the [`crate::middleware::Edge`]
//! middleware renders every error response — ours, axum's rejections, timeouts, panics — as one
//! `application/problem+json` shape with the request id, so no error escapes in another form.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:corkboard:problem:not-found", "title": "Not Found", "status": 404,
    "detail": "No such board.", "instance": "/api/v1/boards/0190…", "code": "NOT_FOUND",
    "request_id": "0190f7b2-…"
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:corkboard:problem:<code in kebab case>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// A stable `UPPER_SNAKE` code for programs to branch on.
    pub code: String,
    /// The request id, as in `X-Request-Id`.
    pub request_id: String,
    /// For validation problems: each field that was refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One refused input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's path in the request (`title`, `labels[2]`, `query.limit`).
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl FieldError {
    /// A refused field.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// An error a handler answers with. Rendered as problem+json by the edge middleware.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) detail: String,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with a status, a stable code and a detail message.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), errors: Vec::new(), headers: Vec::new() }
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401 with a `WWW-Authenticate` challenge.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", detail)
            .with_header(axum::http::header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="corkboard""#))
    }

    /// 403.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// 404; says nothing about whether the thing exists for someone else.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", detail)
    }

    /// 409.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 412: `If-Match` named a stale version.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "VERSION_MISMATCH",
            "The resource has changed since you read it; fetch it again and retry with the new ETag.",
        )
    }

    /// 422 with one refused field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 422 with the refused fields.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "The request has invalid fields.");
        e.errors = errors;
        e
    }

    /// 500: the cause is logged here, once, and never shown.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %DisplayChain(cause), "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "An unexpected error occurred.")
    }

    /// 503: a store did not answer in time. The cause is logged, never shown.
    pub fn unavailable(cause: &str) -> Self {
        tracing::warn!(cause, "dependency unavailable");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "A dependency is unavailable; retry later.")
            .with_header(axum::http::header::RETRY_AFTER, HeaderValue::from_static("5"))
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// An error's message followed by its sources.
struct DisplayChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e.as_ref())
    }
}

/// What the edge middleware needs from an error response; stored as a response extension.
#[derive(Debug, Clone)]
pub(crate) struct ProblemParts {
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response.extensions_mut().insert(ProblemParts { code: self.code, detail: self.detail, errors: self.errors });
        response
    }
}

/// The code and detail for an error response that carries none of ours (a rejection by the
/// framework or a tower layer).
pub(crate) fn default_parts(status: StatusCode) -> ProblemParts {
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "No such resource."),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "This method is not allowed on this resource."),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "The request body is too large."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json."),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
            ("SERVICE_UNAVAILABLE", "The request could not be completed in time; retry later.")
        }
        s if s.is_server_error() => ("INTERNAL", "An unexpected error occurred."),
        _ => ("BAD_REQUEST", "The request could not be understood."),
    };
    ProblemParts { code, detail: detail.to_owned(), errors: Vec::new() }
}

/// The problem document for `parts`.
pub(crate) fn render(status: StatusCode, parts: ProblemParts, instance: &str, request_id: &str) -> Problem {
    Problem {
        type_uri: format!("urn:corkboard:problem:{}", parts.code.to_ascii_lowercase().replace('_', "-")),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: parts.detail,
        instance: instance.to_owned(),
        code: parts.code.to_owned(),
        request_id: request_id.to_owned(),
        errors: parts.errors,
    }
}
