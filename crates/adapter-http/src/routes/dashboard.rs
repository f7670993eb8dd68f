//! `GET /api/v1/dashboard`: the caller's overview of their boards, cards, reminders, notes,
//! notifications and recent activity, kept per user while exact (decision 0046) and
//! revalidated with `ETag` / `If-None-Match`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use dashboard::{Activity, BoardBrief, CardBrief, ColumnCards, Dashboard, NoteBrief, NotificationBrief, ReminderBrief};
use identity::Scope;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::openapi::Forbidden;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_dashboard))
}

/// The caller's dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardOut {
    /// When it was read; a kept dashboard keeps its time.
    generated_at: DateTime<Utc>,
    boards: DashboardBoards,
    /// The caller's open cards on open boards, by column: boards by name, columns in board
    /// order; at most 20 columns, the first 5 cards of each (`count` counts them all).
    my_cards: Vec<DashboardColumn>,
    due: DashboardDue,
    /// The caller's next scheduled reminders, soonest first (at most 5).
    reminders: Vec<DashboardReminder>,
    notes: DashboardNotes,
    notifications: DashboardNotifications,
    /// The newest events on the caller's boards and of their own doing, newest first (at most
    /// 10; administrators too see only these here).
    activity: Vec<DashboardActivity>,
}

/// The boards the caller is a member of.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardBoards {
    /// How many, archived ones included.
    #[schema(minimum = 0)]
    count: u64,
    /// Open boards, the most recently changed first (at most 5).
    recent: Vec<DashboardBoard>,
}

/// A recently changed board.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardBoard {
    id: Uuid,
    name: String,
    /// When anything on it last changed.
    last_activity_at: DateTime<Utc>,
}

/// A card, with where it is.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardCard {
    id: Uuid,
    title: String,
    board_id: Uuid,
    board_name: String,
    column_id: Uuid,
    column_name: String,
    due_at: Option<DateTime<Utc>>,
}

/// The caller's open cards in one column.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardColumn {
    board_id: Uuid,
    board_name: String,
    column_id: Uuid,
    column_name: String,
    /// How many open cards of this column are assigned to the caller.
    #[schema(minimum = 1)]
    count: u64,
    /// The first of them, in the column's order.
    cards: Vec<DashboardCard>,
}

/// Open cards on the caller's open boards with a due time.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardDue {
    /// Due before now, the longest overdue first (at most 10).
    overdue: Vec<DashboardCard>,
    /// Due in the next 7 days, soonest first (at most 10).
    next_7_days: Vec<DashboardCard>,
}

/// A scheduled reminder.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardReminder {
    id: Uuid,
    title: String,
    next_fire_at: Option<DateTime<Utc>>,
    /// The IANA time zone it is kept in.
    timezone: String,
}

/// Notes the caller can see (their own and their boards').
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardNotes {
    /// Pinned open notes, newest first (at most 5).
    pinned: Vec<DashboardNote>,
    /// The newest open notes (at most 5).
    recent: Vec<DashboardNote>,
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardNote {
    id: Uuid,
    title: String,
    pinned: bool,
    /// The note's board; `null` for a personal note.
    board_id: Option<Uuid>,
    updated_at: DateTime<Utc>,
}

/// The caller's unread notifications.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardNotifications {
    /// How many are unread.
    #[schema(minimum = 0)]
    unread_count: u64,
    /// The oldest unread ones (at most 5), as `GET /notifications?unread=true` lists them.
    unread: Vec<DashboardNotification>,
}

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardNotification {
    id: Uuid,
    title: String,
    created_at: DateTime<Utc>,
}

/// An event of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DashboardActivity {
    id: Uuid,
    occurred_at: DateTime<Utc>,
    /// Who did it; `null` for the system.
    actor_id: Option<Uuid>,
    /// `resource.verb`, e.g. `card.moved`.
    action: String,
    resource_type: String,
    resource_id: Uuid,
    board_id: Option<Uuid>,
}

impl From<&Dashboard> for DashboardOut {
    fn from(d: &Dashboard) -> Self {
        Self {
            generated_at: d.generated_at,
            boards: DashboardBoards {
                count: d.boards.count,
                recent: d.boards.recent.iter().map(DashboardBoard::from).collect(),
            },
            my_cards: d.my_cards.iter().map(DashboardColumn::from).collect(),
            due: DashboardDue {
                overdue: d.overdue.iter().map(DashboardCard::from).collect(),
                next_7_days: d.due_soon.iter().map(DashboardCard::from).collect(),
            },
            reminders: d.reminders.iter().map(DashboardReminder::from).collect(),
            notes: DashboardNotes {
                pinned: d.pinned_notes.iter().map(DashboardNote::from).collect(),
                recent: d.recent_notes.iter().map(DashboardNote::from).collect(),
            },
            notifications: DashboardNotifications {
                unread_count: d.notifications.unread,
                unread: d.notifications.latest.iter().map(DashboardNotification::from).collect(),
            },
            activity: d.activity.iter().map(DashboardActivity::from).collect(),
        }
    }
}

impl From<&BoardBrief> for DashboardBoard {
    fn from(b: &BoardBrief) -> Self {
        Self { id: b.id.as_uuid(), name: b.name.clone(), last_activity_at: b.last_activity_at }
    }
}

impl From<&CardBrief> for DashboardCard {
    fn from(c: &CardBrief) -> Self {
        Self {
            id: c.id.as_uuid(),
            title: c.title.clone(),
            board_id: c.board_id.as_uuid(),
            board_name: c.board_name.clone(),
            column_id: c.column_id.as_uuid(),
            column_name: c.column_name.clone(),
            due_at: c.due_at,
        }
    }
}

impl From<&ColumnCards> for DashboardColumn {
    fn from(c: &ColumnCards) -> Self {
        Self {
            board_id: c.board_id.as_uuid(),
            board_name: c.board_name.clone(),
            column_id: c.column_id.as_uuid(),
            column_name: c.column_name.clone(),
            count: c.count,
            cards: c.cards.iter().map(DashboardCard::from).collect(),
        }
    }
}

impl From<&ReminderBrief> for DashboardReminder {
    fn from(r: &ReminderBrief) -> Self {
        Self { id: r.id.as_uuid(), title: r.title.clone(), next_fire_at: r.next_fire_at, timezone: r.timezone.clone() }
    }
}

impl From<&NoteBrief> for DashboardNote {
    fn from(n: &NoteBrief) -> Self {
        Self {
            id: n.id.as_uuid(),
            title: n.title.clone(),
            pinned: n.pinned,
            board_id: n.board_id.map(|b| b.as_uuid()),
            updated_at: n.updated_at,
        }
    }
}

impl From<&NotificationBrief> for DashboardNotification {
    fn from(n: &NotificationBrief) -> Self {
        Self { id: n.id.as_uuid(), title: n.title.clone(), created_at: n.created_at }
    }
}

impl From<&Activity> for DashboardActivity {
    fn from(a: &Activity) -> Self {
        Self {
            id: a.id,
            occurred_at: a.occurred_at,
            actor_id: a.actor_id.map(|u| u.as_uuid()),
            action: a.action.clone(),
            resource_type: a.resource_type.clone(),
            resource_id: a.resource_id,
            board_id: a.board_id.map(|b| b.as_uuid()),
        }
    }
}

/// The dashboard as sent.
fn render(d: &Dashboard) -> Bytes {
    // Plain data of strings, numbers and instants: serialising it cannot fail.
    Bytes::from(serde_json::to_vec(&DashboardOut::from(d)).unwrap_or_default())
}

/// Whether `If-None-Match` names `tag` (weakly, as RFC 9110 § 13.1.2 asks), or is `*`.
fn unchanged(headers: &HeaderMap, tag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == tag
        },
    )
}

/// The caller's dashboard: boards, their open cards by column, cards overdue and due in the
/// next 7 days, next reminders, pinned and recent notes, unread notifications and recent
/// activity. Kept per user and served again until something it shows changes (see the
/// `ETag`; send it in `If-None-Match` to get `304` while it is current). Needs `boards:read`,
/// `notes:read` and `reminders:read` on a token.
#[utoipa::path(get, path = "/dashboard", tag = "dashboard",
    params(("If-None-Match" = Option<String>, Header,
        description = "An ETag of an earlier answer: 304 while the dashboard is unchanged")),
    security(("session" = []), ("bearer" = ["boards:read", "notes:read", "reminders:read"])),
    responses(
        (status = 200, description = "The caller's dashboard", body = DashboardOut,
            headers(("ETag" = String, description = "A tag of this body's content"))),
        (status = 304, description = "Unchanged since the `If-None-Match` tag",
            headers(("ETag" = String, description = "The current tag"))),
        (status = 403, response = Forbidden)))]
async fn get_dashboard(State(s): State<AppState>, auth: Auth, headers: HeaderMap) -> Result<Response, ApiError> {
    auth.require(Scope::NotesRead)?;
    auth.require(Scope::RemindersRead)?;
    let caller = auth.require(Scope::BoardsRead)?;
    let rendered = s.dashboard.read(caller, render).await?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", rendered.tag)).map_err(|e| ApiError::internal(&e))?;
    let mut response = if unchanged(&headers, &rendered.tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut ok = (StatusCode::OK, rendered.body).into_response();
        ok.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        ok
    };
    let out = response.headers_mut();
    out.insert(header::ETAG, etag);
    // Each user's own; revalidate on every use.
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_any() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
            h
        };
        assert!(unchanged(&with("\"abc\""), "abc"));
        assert!(unchanged(&with("W/\"abc\""), "abc"));
        assert!(unchanged(&with("\"x\", \"abc\""), "abc"));
        assert!(unchanged(&with("*"), "abc"));
        assert!(!unchanged(&with("\"abcd\""), "abc"));
        assert!(!unchanged(&HeaderMap::new(), "abc"));
    }
}
