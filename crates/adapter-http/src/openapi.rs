//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{Modify, OpenApi};

/// Declares a reusable problem+json response component per error status, so that every
/// path lists exactly the problems it can answer with, by name.
macro_rules! problem_responses {
    ($($name:ident => $description:literal),+ $(,)?) => {$(
        #[doc = $description]
        pub(crate) struct $name;

        impl<'s> utoipa::ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
                let response = ResponseBuilder::new()
                    .description($description)
                    .content("application/problem+json", content)
                    .build();
                (stringify!($name), RefOr::T(response))
            }
        }
    )+};
}

problem_responses! {
    BadRequest => "The request is malformed (bad JSON, cursor or If-Match).",
    Unauthorized => "No valid credentials; the response carries WWW-Authenticate.",
    Forbidden => "Authenticated, but not allowed (role, token scope, or missing CSRF token).",
    NotFound => "No such resource, or one the caller may not see.",
    Conflict => "The request conflicts with the current state.",
    PreconditionFailed => "If-Match named a stale version.",
    Gone => "The cursor points before the oldest event still kept (retention); read from the start.",
    PayloadTooLarge => "The body exceeds the configured limit.",
    UnsupportedMediaType => "The body is not application/json.",
    Unprocessable => "The body or query has invalid fields; see errors[].",
    TooManyRequests => "A rate limit is exhausted; `Retry-After` says when to try again (`RateLimit` and `RateLimit-Policy` say which).",
    Unavailable => "A dependency is down, or the request timed out; retry later.",
    Internal => "An unexpected error; the body says nothing of its cause, which is logged.",
}

/// Declares a string schema with a pattern, for what the derive cannot annotate itself: the items
/// of an array (`#[schema(value_type = Vec<TagName>)]`). Each becomes a named component.
macro_rules! string_schemas {
    ($($name:ident { max: $max:literal, pattern: $pattern:literal } => $description:literal),+ $(,)?) => {$(
        #[doc = $description]
        pub(crate) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some($pattern))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

string_schemas! {
    EventTypePattern { max: 81, pattern: r"^(\*|[a-z][a-z_]{0,39}\.(\*|[a-z][a-z_]{0,39}))$" }
        => "Events a webhook receives: `*` (all), `resource.*` (every action on a kind of resource) or `resource.action`.",
    TagName { max: 50, pattern: "^[A-Za-z0-9_-]+$" }
        => "A tag: letters, digits, `-` and `_` (lower-cased on the way in).",
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corkboard API",
        description = "Boards, notes and reminders for teams. Errors are RFC 9457 problem documents; \
            lists are cursor-paginated; mutable resources carry an ETag and honour If-Match.",
        license(name = "Apache-2.0")
    ),
    components(
        schemas(crate::error::Problem, crate::error::FieldError),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed, Gone,
            PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests, Unavailable, Internal
        )
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and sign-out"),
        (name = "me", description = "The caller: profile, sessions and personal access tokens"),
        (name = "users", description = "User administration (administrators)"),
        (name = "boards", description = "Boards and their members"),
        (name = "columns", description = "Columns of a board"),
        (name = "cards", description = "Cards, labels and comments"),
        (name = "notes", description = "Notes, personal or on a board, with full-text search"),
        (name = "reminders", description = "Personal reminders, one-shot or recurring, in their own time zone"),
        (name = "notifications", description = "The caller's in-app notifications of fired reminders"),
        (name = "audit", description = "The audit log of every change"),
        (name = "dashboard", description = "The caller's overview, kept while exact"),
        (name = "connector", description = "For integrations: the event feed and webhooks"),
        (name = "operations", description = "Health")
    )
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal access token (cbp_…), limited by its scopes."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "corkboard_session",
                "The session cookie set by sign-in (named __Host-corkboard_session under https). \
                 Unsafe methods must also send X-CSRF-Token.",
            ))),
        );
    }
}

/// The problems that follow from an operation's shape are declared here, once, instead of in
/// every annotation: any operation can meet a bug (500), an outage or the request timeout (503); a secured
/// one can be called without credentials (401); one with a body can get malformed JSON (400),
/// too large a body (413), another media type (415) or invalid fields (422); one with query
/// parameters can get a bad cursor (400) or a bad value (422). Annotations list only the
/// problems particular to their operation.
pub(crate) struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in &mut openapi.paths.paths {
            // POST and PATCH under /api/v1 take `Idempotency-Key` (crate::idempotency).
            let in_api = path.starts_with(crate::router::API_PREFIX);
            let recorded = path.strip_prefix(crate::router::API_PREFIX).is_some_and(crate::idempotency::records);
            for operation in [&mut item.post, &mut item.patch].into_iter().flatten() {
                let secured = operation.security.as_ref().is_some_and(|requirements| {
                    requirements.iter().all(|r| r != &utoipa::openapi::security::SecurityRequirement::default())
                });
                if recorded && secured {
                    idempotent(operation);
                }
            }
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                if_match_syntax(operation);
                let secured = operation.security.as_ref().is_some_and(|requirements| {
                    requirements.iter().all(|r| r != &utoipa::openapi::security::SecurityRequirement::default())
                });
                let has_body = operation.request_body.is_some();
                let has_query = operation
                    .parameters
                    .as_ref()
                    .is_some_and(|params| params.iter().any(|p| p.parameter_in == ParameterIn::Query));
                let mut add = |status: &str, name: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                };
                add("500", "Internal");
                add("503", "Unavailable");
                if in_api {
                    add("429", "TooManyRequests");
                }
                if secured {
                    add("401", "Unauthorized");
                }
                if has_body {
                    add("400", "BadRequest");
                    add("413", "PayloadTooLarge");
                    add("415", "UnsupportedMediaType");
                    add("422", "Unprocessable");
                }
                if has_query {
                    add("400", "BadRequest");
                    add("422", "Unprocessable");
                }
            }
        }
    }
}

/// Gives the `If-Match` header an operation declares the syntax `extract::IfMatch` reads: `*`, or
/// one ETag as the API sends them (`"7"`, or the weak `W/"7"`); anything else is a 400. The routes
/// declare the header; its syntax is said here, once.
fn if_match_syntax(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let headers = operation.parameters.iter_mut().flatten();
    for parameter in headers.filter(|p| p.parameter_in == ParameterIn::Header && p.name == "If-Match") {
        let syntax = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r#"^(\*|(W/)?"[1-9][0-9]{0,17}")$"#));
        parameter.schema = Some(syntax.into());
    }
}

/// Declares `Idempotency-Key` on `operation`: the header, a malformed key (400), the key in use
/// by a request still running (409) or used for another request (422).
fn idempotent(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::Required;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: the first answer to this request is kept for 24 hours and sent again \
             (with `Idempotent-Replayed: true`) for the same key and the same request. 1 to 255 visible \
             ASCII characters, scoped to the credential.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    operation.parameters.get_or_insert_with(Vec::new).push(parameter);
    for (status, name) in [("400", "BadRequest"), ("409", "Conflict"), ("422", "Unprocessable")] {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
}

/// The whole document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::router::api_router(None).1
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// The house patterns (`routes::board_dto`'s module comment). utoipa takes a pattern only as a
    /// literal, so every field repeats one; this proves the copies agree.
    const ONE_LINE: &str = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$";
    const NOT_BLANK: &str = r"[^\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
    /// Control characters and Unicode `White_Space`, spelled out: ECMA's `\s` is another set.
    const CONTROL_OR_SPACE: &str = r"\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

    fn patterns(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(members) => {
                for (name, member) in members {
                    match (name.as_str(), member) {
                        ("pattern", Value::String(pattern)) => found.push(pattern.clone()),
                        _ => patterns(member, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| patterns(item, found)),
            _ => {}
        }
    }

    #[test]
    fn every_copy_of_a_house_pattern_is_the_same() {
        let doc = serde_json::to_value(super::openapi()).expect("the document is JSON");
        let mut found = Vec::new();
        patterns(&doc, &mut found);
        let spaced: Vec<_> = found.iter().filter(|p| p.contains(r"\u3000")).collect();
        assert!(spaced.iter().filter(|p| **p == ONE_LINE).count() >= 10, "{spaced:#?}");
        for pattern in spaced {
            assert!(
                pattern == ONE_LINE || pattern == NOT_BLANK || pattern.contains(CONTROL_OR_SPACE),
                "a pattern spells white space its own way: {pattern}"
            );
        }
        assert!(!found.iter().any(|p| p.contains(r"\s")), "`\\s` means another set in ECMA-262 than in Rust");
        // Fields that share a rule share its pattern: a webhook's URL, on create and on update.
        let urls: Vec<_> = found.iter().filter(|p| p.starts_with("^[Hh][Tt]")).collect();
        assert!(urls.len() == 2 && urls[0] == urls[1], "{urls:#?}");
    }
}
