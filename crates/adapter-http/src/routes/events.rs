//! `GET /api/v1/events?after=`: the event feed (decision 0047). Events come in the order the
//! audit log's seals gave them, which never changes once read, so a client that keeps
//! `next_cursor` and asks again later gets every later event exactly once.

use axum::extract::State;
use chrono::{DateTime, Utc};
use connector::{FeedEvent, FeedPage, FeedPosition};
use identity::Scope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::openapi::{BadRequest, Forbidden, Gone, Unprocessable};
use crate::pagination::{decode_tagged, encode_tagged, invalid_cursor};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read_events))
}

/// Where to read from.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedParams {
    /// `next_cursor` of an earlier read; absent: from the oldest event kept.
    #[param(max_length = 200)]
    #[garde(skip)]
    after: Option<String>,
    /// How many events to return (default 50).
    #[param(minimum = 1, maximum = 200)]
    #[garde(inner(range(min = 1, max = 200)))]
    limit: Option<u32>,
}

/// A domain event.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedEventOut {
    /// The event's id, as in the audit log.
    id: Uuid,
    occurred_at: DateTime<Utc>,
    /// Who made the change; `null` for the system.
    actor_id: Option<Uuid>,
    /// `resource.verb`, e.g. `card.moved`.
    #[schema(example = "card.moved")]
    r#type: String,
    resource_type: String,
    resource_id: Uuid,
    board_id: Option<Uuid>,
    /// The changed fields, `{field: {before, after}}`; secrets are redacted.
    #[schema(value_type = Object)]
    changes: serde_json::Value,
}

/// One read of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedPageOut {
    /// The events, oldest first.
    items: Vec<FeedEventOut>,
    /// Pass as `after` to read on: after the last event returned or, when fewer than `limit`
    /// came back, after the newest events the server had sealed. `null` only while nothing is
    /// sealed and no `after` was given.
    next_cursor: Option<String>,
}

impl From<FeedEvent> for FeedEventOut {
    fn from(e: FeedEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_id: e.actor_id.map(|u| u.as_uuid()),
            r#type: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            board_id: e.board_id.map(|b| b.as_uuid()),
            changes: e.changes,
        }
    }
}

const CURSOR_TAG: &str = "f1:";

fn encode_cursor(at: FeedPosition) -> String {
    encode_tagged(CURSOR_TAG, &format!("{}.{}", at.seal, at.seq))
}

fn decode_cursor(raw: &str) -> Result<FeedPosition, ApiError> {
    let text = decode_tagged(raw, CURSOR_TAG)?;
    let (seal, seq) = text.split_once('.').ok_or_else(invalid_cursor)?;
    // Digits only, and within what the database stores: `+1` or `1e3` were never issued.
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i64>().ok())
            .flatten()
            .map(i64::unsigned_abs)
            .ok_or_else(invalid_cursor)
    };
    Ok(FeedPosition { seal: number(seal)?, seq: number(seq)? })
}

/// The domain events the caller may see, oldest first, after `after`: administrators every
/// event; members those of their boards and their own. Events appear once the audit log has
/// sealed them (about a second after the change, while a worker runs). Needs `boards:read`,
/// `notes:read` and `reminders:read` on a token: the feed carries every domain's events.
#[utoipa::path(get, path = "/events", tag = "connector",
    params(FeedParams),
    security(("session" = []), ("bearer" = ["boards:read", "notes:read", "reminders:read"])),
    responses(
        (status = 200, description = "The next events", body = FeedPageOut),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 410, response = Gone), (status = 422, response = Unprocessable)))]
async fn read_events(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<axum::Json<FeedPageOut>, ApiError> {
    auth.require(Scope::NotesRead)?;
    auth.require(Scope::RemindersRead)?;
    let caller = auth.require(Scope::BoardsRead)?;
    let after = params.after.as_deref().map(decode_cursor).transpose()?;
    let FeedPage { items, next } = s.events.read(caller, after, params.limit).await?;
    Ok(axum::Json(FeedPageOut {
        items: items.into_iter().map(FeedEventOut::from).collect(),
        next_cursor: next.map(encode_cursor),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let at = FeedPosition { seal: 12, seq: 3456 };
        assert_eq!(decode_cursor(&encode_cursor(at)).ok(), Some(at));
    }

    #[test]
    fn tampered_cursors_are_refused() {
        use base64::Engine as _;
        let good = encode_cursor(FeedPosition { seal: 1, seq: 2 });
        let forged = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        for bad in [
            String::new(),
            "!!!".into(),
            good[1..].to_owned(),
            forged("c1:0123"),
            forged("f1:1"),
            forged("f1:1.+2"),
            forged("f1:.2"),
            forged("f1:-1.2"),
            forged("f1:1.99999999999999999999"),
        ] {
            assert!(decode_cursor(&bad).is_err(), "{bad}");
        }
    }
}
