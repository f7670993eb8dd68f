//! Reading the audit log, exporting it and checking its hash chain.

use audit::seal::BreakKind;
use audit::{AuditEvent, AuditFilter, Verification};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
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
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(export_audit)).routes(routes!(verify_audit))
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
    #[garde(inner(length(chars, max = 100)))]
    action: Option<String>,
    /// Events about this kind of resource (`card`).
    #[param(max_length = 100)]
    #[garde(inner(length(chars, max = 100)))]
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
    let events = s.audit.list(caller, query.into(), page.page()?).await?;
    Ok(axum::Json(Paged::from_page(events, AuditEventOut::from)))
}

impl From<AuditQuery> for AuditFilter {
    fn from(query: AuditQuery) -> Self {
        Self {
            actor: query.actor.map(UserId::from_uuid),
            action: query.action,
            resource_type: query.resource_type,
            resource_id: query.resource_id,
            board_id: query.board_id.map(BoardId::from_uuid),
            from: query.from,
            to: query.to,
        }
    }
}

/// The whole log (or what the filters select) as newline-delimited JSON, oldest first, one
/// event per line in the list's format, streamed as it is read (administrators only). A
/// failure while streaming cuts the response short rather than ending it cleanly.
#[utoipa::path(get, path = "/audit/export", tag = "audit", params(AuditQuery),
    security(("session" = []), ("bearer" = ["audit:read"])),
    responses(
        (status = 200, description = "One event per line, oldest first",
            content_type = "application/x-ndjson", body = AuditEventOut),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden), (status = 422, response = Unprocessable)))]
async fn export_audit(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::AuditRead)?;
    let events = s.audit.export(caller, query.into())?;
    let lines = events.map(|event| match event {
        Ok(event) => {
            let mut line =
                serde_json::to_vec(&AuditEventOut::from(event)).map_err(|e| audit::AuditError::Unexpected(e.into()))?;
            line.push(b'\n');
            Ok(Bytes::from(line))
        }
        Err(error) => {
            tracing::error!(%error, "the audit export failed while streaming; the response is cut short");
            Err(error)
        }
    });
    let headers = [
        (header::CONTENT_TYPE, "application/x-ndjson"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.ndjson\""),
    ];
    Ok((headers, Body::from_stream(lines)).into_response())
}

/// The newest seal that was checked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SealOut {
    /// Its number.
    seq: i64,
    /// Its hash (SHA-256, hex): kept outside Corkboard, it shows later whether the log up to
    /// here was rewritten as a whole.
    hash: String,
    sealed_at: DateTime<Utc>,
}

/// Where the chain breaks.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChainBreakOut {
    /// The seal at which the check failed.
    seal_seq: i64,
    /// The event whose contents changed, when one is to blame.
    event_id: Option<Uuid>,
    /// `event_altered` (an event's contents changed), `seal_altered` (events added to or removed
    /// from a seal, or the seal edited), `chain_broken` (a seal missing or not naming its
    /// predecessor), `orphaned_events` (events naming a seal that does not exist).
    #[schema(pattern = "^(event_altered|seal_altered|chain_broken|orphaned_events)$")]
    reason: &'static str,
}

/// The result of checking the audit log's hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct VerificationOut {
    /// Whether every seal and every sealed event checked out.
    intact: bool,
    /// Seals checked.
    seals: u64,
    /// Events checked.
    sealed_events: u64,
    /// Events written after the newest seal (sealed within seconds); not covered yet.
    unsealed_events: u64,
    /// The oldest seal checked; above 1 when retention removed older ones.
    first_seal_seq: Option<i64>,
    /// The newest seal checked.
    head: Option<SealOut>,
    /// The first break found, or `null`.
    first_break: Option<ChainBreakOut>,
}

impl From<Verification> for VerificationOut {
    fn from(v: Verification) -> Self {
        Self {
            intact: v.first_break.is_none(),
            seals: v.seals,
            sealed_events: v.sealed_events,
            unsealed_events: v.unsealed_events,
            first_seal_seq: v.first_seq,
            head: v.head.map(|head| SealOut {
                seq: head.header.seq,
                hash: head.hash.to_hex(),
                sealed_at: head.header.sealed_at,
            }),
            first_break: v.first_break.map(|b| ChainBreakOut {
                seal_seq: b.seal_seq,
                event_id: b.event_id,
                reason: BreakKind::as_str(b.kind),
            }),
        }
    }
}

/// Checks the audit log's hash chain from the oldest seal to the newest and reports the first
/// break (administrators only). A broken chain is a finding, answered with 200.
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    security(("session" = []), ("bearer" = ["audit:read"])),
    responses(
        (status = 200, description = "The result of the check", body = VerificationOut),
        (status = 403, response = Forbidden)))]
async fn verify_audit(State(s): State<AppState>, auth: Auth) -> Result<axum::Json<VerificationOut>, ApiError> {
    let caller = auth.require(Scope::AuditRead)?;
    Ok(axum::Json(s.audit.verify(caller).await?.into()))
}
