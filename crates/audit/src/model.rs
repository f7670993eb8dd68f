//! What an audit event says, and how a reader narrows the log.

use chrono::{DateTime, Utc};
use kernel::{BoardId, TokenId, UserId};
use uuid::Uuid;

/// One recorded change, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// The event's id (`UUIDv7`, ordered by time).
    pub id: Uuid,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// `user`, `token`, `system` or `anonymous`.
    pub actor_type: String,
    /// The user behind the change, if any.
    pub actor_id: Option<UserId>,
    /// The token used, when the change was made with one.
    pub token_id: Option<TokenId>,
    /// `resource.verb`, such as `card.moved`.
    pub action: String,
    /// The kind of resource changed.
    pub resource_type: String,
    /// The resource changed.
    pub resource_id: Uuid,
    /// The board the resource belongs to.
    pub board_id: Option<BoardId>,
    /// The changed fields, `{field: {before, after}}`, secrets redacted.
    pub changes: serde_json::Value,
    /// The request that caused the change.
    pub request_id: Option<String>,
    /// The trace it belonged to.
    pub trace_id: Option<String>,
    /// The client's IP address.
    pub client_ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

/// Narrows the log; every field is optional and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Events caused by this user.
    pub actor: Option<UserId>,
    /// Events with exactly this action.
    pub action: Option<String>,
    /// Events about this kind of resource.
    pub resource_type: Option<String>,
    /// Events about this resource.
    pub resource_id: Option<Uuid>,
    /// Events on this board.
    pub board_id: Option<BoardId>,
    /// Events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Which events a reader may see at all, whatever the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every event (administrators).
    All,
    /// Events on boards the user is a member of, and events the user caused.
    MemberOf(UserId),
}
