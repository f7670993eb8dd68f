//! The feed's events and where they stand in it.

use chrono::{DateTime, Utc};
use kernel::{BoardId, UserId};
use uuid::Uuid;

/// Where an event stands in the feed: the audit seal that took it in, then its place in the
/// log. Seals are made in commit order behind the writers and an event joins exactly one,
/// once (decision 0045), so no event ever takes a place before one already read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedPosition {
    /// The seal's number.
    pub seal: u64,
    /// The event's place in the log.
    pub seq: u64,
}

/// The seals kept: retention removes the oldest whole seals, never the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealSpan {
    /// The oldest seal still kept.
    pub oldest: u64,
    /// The newest seal.
    pub newest: u64,
}

impl FeedPosition {
    /// After every event of `seal`: what follows is in later seals. The place is the largest a
    /// log stores (a signed 64-bit number), so the position stays one a cursor can carry.
    pub fn end_of(seal: u64) -> Self {
        Self { seal, seq: i64::MAX.unsigned_abs() }
    }
}

/// A domain event as the feed serves it: what changed, by whom, on what. Where the request
/// came from (address, user agent, request id) is left out.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Where it stands in the feed.
    pub position: FeedPosition,
    /// The event's id (as in the audit log).
    pub id: Uuid,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// The user who made it; none for the system.
    pub actor_id: Option<UserId>,
    /// What happened, `resource.verb` (`card.moved`).
    pub action: String,
    /// The kind of resource changed.
    pub resource_type: String,
    /// The resource changed.
    pub resource_id: Uuid,
    /// Its board, if any.
    pub board_id: Option<BoardId>,
    /// The changed fields, `{field: {before, after}}`, secrets redacted.
    pub changes: serde_json::Value,
}

/// Whose events a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Every event (administrators).
    All,
    /// The events of the user's boards and of the user's own doing.
    MemberOf(UserId),
}
