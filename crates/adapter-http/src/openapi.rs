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
    PayloadTooLarge => "The body exceeds the configured limit.",
    UnsupportedMediaType => "The body is not application/json.",
    Unprocessable => "The body or query has invalid fields; see errors[].",
    Unavailable => "A dependency is down, or the request timed out.",
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
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed,
            PayloadTooLarge, UnsupportedMediaType, Unprocessable, Unavailable
        )
    ),
    modifiers(&Security, &EveryOperationMayBeUnavailable),
    tags(
        (name = "auth", description = "Sign-in and sign-out"),
        (name = "me", description = "The caller: profile, sessions and personal access tokens"),
        (name = "users", description = "User administration (administrators)"),
        (name = "boards", description = "Boards and their members"),
        (name = "columns", description = "Columns of a board"),
        (name = "cards", description = "Cards, labels and comments"),
        (name = "audit", description = "The audit log of every change"),
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

/// Any operation can meet a database or Redis outage, or the request timeout: each declares
/// the 503 problem, added here once rather than in every annotation.
struct EveryOperationMayBeUnavailable;

impl Modify for EveryOperationMayBeUnavailable {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Unavailable")));
            }
        }
    }
}

/// The whole document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    crate::router::api_router().split_for_parts().1
}
