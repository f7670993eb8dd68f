//! Webhooks (decision 0049): the caller's subscriptions, their deliveries and each delivery's
//! attempts, and re-sending a delivery. A subscription receives the events its owner may see
//! in the event feed, as Standard Webhooks requests signed with its secret; the secret is
//! shown when the subscription is made and when it is rotated, never otherwise.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use chrono::{DateTime, Utc};
use connector::webhooks::{Attempt, Delivery, EventTypes, NewWebhook, Webhook, WebhookChanges};
use identity::Scope;
use kernel::{DeliveryId, WebhookId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{Conflict, EventTypePattern, Forbidden, NotFound, PreconditionFailed};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(list_attempts))
        .routes(routes!(redeliver))
}

/// A subscription to make.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateWebhookIn {
    /// Where deliveries are sent (`POST`): an `http` or `https` URL, without credentials, fragment,
    /// whitespace, control characters or `\`. Loopback, private and link-local addresses are
    /// refused unless the server allows them. Kept as normalised (percent-encoded).
    #[schema(
        max_length = 2000,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+([/?][^#\\\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)?$",
        example = "https://hooks.example.com/corkboard"
    )]
    #[garde(length(chars, max = 2000))]
    url: String,
    /// Which events: `*`, `resource.*` (e.g. `card.*`) or exact types (`card.moved`).
    #[schema(min_items = 1, max_items = 50, value_type = Vec<EventTypePattern>, example = json!(["card.*", "note.created"]))]
    #[garde(length(min = 1, max = 50))]
    event_types: Vec<String>,
    /// What it is for: one line (no control characters), may be empty.
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[garde(length(chars, max = 500))]
    description: String,
    /// Deliver from the start (default `true`).
    #[serde(default = "yes")]
    #[garde(skip)]
    active: bool,
}

const fn yes() -> bool {
    true
}

/// Changes to a subscription; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateWebhookIn {
    /// A new target, as for a new subscription.
    #[schema(
        max_length = 2000,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+([/?][^#\\\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*)?$"
    )]
    #[garde(inner(length(chars, max = 2000)))]
    url: Option<String>,
    /// New event types (the whole list).
    #[schema(min_items = 1, max_items = 50, value_type = Option<Vec<EventTypePattern>>)]
    #[garde(inner(length(min = 1, max = 50)))]
    event_types: Option<Vec<String>>,
    /// A new description, as for a new subscription.
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    #[garde(inner(length(chars, max = 500)))]
    description: Option<String>,
    /// Turn deliveries on or off. Turning a subscription on that was turned off for failing
    /// clears its failure record.
    #[garde(skip)]
    active: Option<bool>,
    /// `true`: replace the secret; the answer shows the new one, this once.
    #[serde(default)]
    #[garde(skip)]
    rotate_secret: bool,
}

/// A webhook subscription.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookOut {
    id: Uuid,
    url: String,
    event_types: Vec<String>,
    description: String,
    /// Whether deliveries are made.
    active: bool,
    /// Why the server turned it off (every attempt failed for about a day); `null` otherwise.
    disabled_reason: Option<String>,
    /// Grows by one on every change; the `ETag`.
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Webhook> for WebhookOut {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id.as_uuid(),
            url: w.url.as_str().to_owned(),
            event_types: w.event_types.as_slice().to_vec(),
            description: w.description.clone(),
            active: w.active,
            disabled_reason: w.disabled_reason.clone(),
            version: w.version.get(),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A subscription with its signing secret, shown on creation and rotation only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookWithSecretOut {
    #[serde(flatten)]
    webhook: WebhookOut,
    /// `whsec_` and base64: the key of every delivery's `webhook-signature` (Standard
    /// Webhooks). It cannot be shown again; rotate it to get a new one.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    secret: String,
}

/// A subscription after a change: with the new `secret` after a rotation only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookUpdatedOut {
    #[serde(flatten)]
    webhook: WebhookOut,
    /// The new secret, after `rotate_secret: true` only; it cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl From<&Webhook> for WebhookWithSecretOut {
    fn from(w: &Webhook) -> Self {
        Self { webhook: WebhookOut::from(w), secret: w.secret.expose().to_owned() }
    }
}

/// One event's delivery to the subscription.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryOut {
    /// Also the `webhook-id` header of every attempt.
    id: Uuid,
    event_id: Uuid,
    #[schema(example = "card.moved")]
    event_type: String,
    /// `pending` (waiting for an attempt), `succeeded` (a 2xx answer) or `failed` (every
    /// attempt for about a day failed; it can be re-sent).
    #[schema(pattern = "^(pending|succeeded|failed)$")]
    status: String,
    /// Attempts made so far.
    attempts: u32,
    next_attempt_at: Option<DateTime<Utc>>,
    last_attempt_at: Option<DateTime<Utc>>,
    /// The status code of the last answer; `null` when none came.
    last_status_code: Option<u16>,
    created_at: DateTime<Utc>,
    /// The request body, as sent: `{type, timestamp, data}`, where `data` is the event as the
    /// event feed serves it.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.as_uuid(),
            event_id: d.event_id,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            created_at: d.created_at,
            payload: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::String(d.body)),
            event_type: d.event_type,
        }
    }
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptOut {
    id: Uuid,
    attempted_at: DateTime<Utc>,
    /// The answer's status code; `null` when no answer came.
    status_code: Option<u16>,
    /// Why no answer came (timeout, connection refused, target not public, …).
    error: Option<String>,
    duration_ms: u32,
}

impl From<Attempt> for AttemptOut {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

fn event_types(raw: &[String]) -> Result<EventTypes, ApiError> {
    field("event_types", EventTypes::parse(raw))
}

/// The caller's subscriptions, oldest first.
#[utoipa::path(get, path = "/webhooks", tag = "connector", params(PageParams),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "A page of subscriptions", body = Paged<WebhookOut>),
        (status = 403, response = Forbidden)))]
async fn list_webhooks(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<WebhookOut>>, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let hooks = s.webhooks.list(caller, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(hooks, |w| WebhookOut::from(&w))))
}

/// Subscribe to events; the answer shows the signing secret, this once.
#[utoipa::path(post, path = "/webhooks", tag = "connector", request_body = CreateWebhookIn,
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 201, description = "Created", body = WebhookWithSecretOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = Forbidden)))]
async fn create_webhook(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<CreateWebhookIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let input = NewWebhook {
        url: input.url,
        description: input.description,
        event_types: event_types(&input.event_types)?,
        active: input.active,
    };
    let hook = s.webhooks.create(caller, input).await?;
    Ok(created(&format!("/api/v1/webhooks/{}", hook.id), Some(hook.version), WebhookWithSecretOut::from(&hook)))
}

/// One of the caller's subscriptions.
#[utoipa::path(get, path = "/webhooks/{webhook_id}", tag = "connector",
    params(("webhook_id" = Uuid, Path, description = "The subscription's id")),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "The subscription", body = WebhookOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn get_webhook(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let hook = s.webhooks.get(caller, WebhookId::from_uuid(id)).await?;
    Ok(tagged(StatusCode::OK, hook.version, WebhookOut::from(&hook)))
}

/// Change a subscription, turn it on or off, or rotate its secret (the answer then shows the
/// new `secret`).
#[utoipa::path(patch, path = "/webhooks/{webhook_id}", tag = "connector", request_body = UpdateWebhookIn,
    params(("webhook_id" = Uuid, Path, description = "The subscription's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "Updated", body = WebhookUpdatedOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn update_webhook(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<UpdateWebhookIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let changes = WebhookChanges {
        url: input.url,
        description: input.description,
        event_types: input.event_types.as_deref().map(event_types).transpose()?,
        active: input.active,
        rotate_secret: input.rotate_secret,
    };
    let hook = s.webhooks.update(caller, WebhookId::from_uuid(id), changes, expected).await?;
    let secret = input.rotate_secret.then(|| hook.secret.expose().to_owned());
    Ok(tagged(StatusCode::OK, hook.version, WebhookUpdatedOut { webhook: WebhookOut::from(&hook), secret }))
}

/// Delete a subscription, with its deliveries and their attempts.
#[utoipa::path(delete, path = "/webhooks/{webhook_id}", tag = "connector",
    params(("webhook_id" = Uuid, Path, description = "The subscription's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_webhook(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    s.webhooks.delete(caller, WebhookId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription's deliveries, newest first.
#[utoipa::path(get, path = "/webhooks/{webhook_id}/deliveries", tag = "connector",
    params(("webhook_id" = Uuid, Path, description = "The subscription's id"), PageParams),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "A page of deliveries", body = Paged<DeliveryOut>),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn list_deliveries(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<DeliveryOut>>, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let deliveries = s.webhooks.deliveries(caller, WebhookId::from_uuid(id), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(deliveries, DeliveryOut::from)))
}

/// A delivery's attempts, oldest first.
#[utoipa::path(get, path = "/webhooks/{webhook_id}/deliveries/{delivery_id}/attempts", tag = "connector",
    params(("webhook_id" = Uuid, Path, description = "The subscription's id"),
           ("delivery_id" = Uuid, Path, description = "The delivery's id"), PageParams),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "A page of attempts", body = Paged<AttemptOut>),
        (status = 403, response = Forbidden), (status = 404, response = NotFound)))]
async fn list_attempts(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath((id, delivery)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<AttemptOut>>, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let attempts =
        s.webhooks.attempts(caller, WebhookId::from_uuid(id), DeliveryId::from_uuid(delivery), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(attempts, AttemptOut::from)))
}

/// Send a delivery again: a new round of attempts, the first at once, under the same
/// `webhook-id`.
#[utoipa::path(post, path = "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tag = "connector",
    params(("webhook_id" = Uuid, Path, description = "The subscription's id"),
           ("delivery_id" = Uuid, Path, description = "The delivery's id")),
    security(("session" = []), ("bearer" = ["webhooks:manage"])),
    responses(
        (status = 202, description = "Queued", body = DeliveryOut),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict)))]
async fn redeliver(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath((id, delivery)): ApiPath<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::WebhooksManage)?;
    let queued = s.webhooks.redeliver(caller, WebhookId::from_uuid(id), DeliveryId::from_uuid(delivery)).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(DeliveryOut::from(queued))).into_response())
}
