//! Reading the audit log.

use audit::{AuditEvent, AuditFilter};
use axum::extract::State;
use chrono::{DateTime, Utc};
use identity::Scope;
use kernel::{BoardId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::openapi::{BadRequest, Forbidden, Unprocessable};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ActorOut {
    /// `user`, `token`, `system` or `anonymous`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(user|token|system|anonymous)$")]
    kind: String,
    /// The user behind the change.
    id: Option<Uuid>,
    /// The personal access token used, if any.
    token_id: Option<Uuid>,
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEventOut {
    id: Uuid,
    occurred_at: DateTime<Utc>,
    actor: ActorOut,
    /// `resource.verb`, such as `card.moved` or `auth.login_failed`.
    action: String,
    resource_type: String,
    resource_id: Uuid,
    board_id: Option<Uuid>,
    /// The changed fields as `{field: {before, after}}`; secrets show as `[REDACTED]`.
    #[schema(value_type = Object)]
    changes: serde_json::Value,
    request_id: Option<String>,
    trace_id: Option<String>,
    /// Shown to administrators, and to members for their own events only.
    client_ip: Option<String>,
    /// Shown to administrators, and to members for their own events only.
    user_agent: Option<String>,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor: ActorOut {
                kind: e.actor_type,
                id: e.actor_id.map(|u| u.as_uuid()),
                token_id: e.token_id.map(|t| t.as_uuid()),
            },
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            board_id: e.board_id.map(|b| b.as_uuid()),
            changes: e.changes,
            request_id: e.request_id,
            trace_id: e.trace_id,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        }
    }
}

/// Filters of the audit log; they combine with AND.
#[derive(Debug, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Events caused by this user.
    #[garde(skip)]
    actor: Option<Uuid>,
    /// Events with exactly this action (`card.moved`).
    #[param(max_length = 100)]
    #[garde(inner(length(max = 100)))]
    action: Option<String>,
    /// Events about this kind of resource (`card`).
    #[param(max_length = 100)]
    #[garde(inner(length(max = 100)))]
    resource_type: Option<String>,
    /// Events about this resource.
    #[garde(skip)]
    resource_id: Option<Uuid>,
    /// Events on this board.
    #[garde(skip)]
    board_id: Option<Uuid>,
    /// Events at or after this instant (RFC 3339).
    #[garde(skip)]
    from: Option<DateTime<Utc>>,
    /// Events before this instant (RFC 3339).
    #[garde(skip)]
    to: Option<DateTime<Utc>>,
}

/// The audit log, newest first: administrators see every event; members see the events of
/// boards they belong to and the events they caused.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery, PageParams),
    security(("session" = []), ("bearer" = ["audit:read"])),
    responses(
        (status = 200, description = "A page of events, newest first", body = Paged<AuditEventOut>),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn list_audit(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<AuditQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<AuditEventOut>>, ApiError> {
    let caller = auth.require(Scope::AuditRead)?;
    let filter = AuditFilter {
        actor: query.actor.map(UserId::from_uuid),
        action: query.action,
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        board_id: query.board_id.map(BoardId::from_uuid),
        from: query.from,
        to: query.to,
    };
    let events = s.audit.list(caller, filter, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(events, AuditEventOut::from)))
}
