//! What a dashboard shows: small, flat summaries of the other domains' data, read for one
//! user at one instant.

use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, ColumnId, NoteId, NotificationId, ReminderId, UserId};
use uuid::Uuid;

/// One user's dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// When it was read.
    pub generated_at: DateTime<Utc>,
    /// The boards the user is a member of.
    pub boards: BoardSummary,
    /// The user's open cards, grouped by column.
    pub my_cards: Vec<ColumnCards>,
    /// Open cards on the user's boards whose due time has passed, the longest overdue first.
    pub overdue: Vec<CardBrief>,
    /// Open cards on the user's boards due within [`crate::DUE_WITHIN_DAYS`] days, soonest first.
    pub due_soon: Vec<CardBrief>,
    /// The user's next scheduled reminders, soonest first.
    pub reminders: Vec<ReminderBrief>,
    /// Pinned notes the user can see, newest first.
    pub pinned_notes: Vec<NoteBrief>,
    /// The newest notes the user can see.
    pub recent_notes: Vec<NoteBrief>,
    /// The user's unread notifications.
    pub notifications: NotificationSummary,
    /// The newest events on the user's boards and of the user's own doing, newest first.
    pub activity: Vec<Activity>,
}

/// How many boards, and the most recently changed open ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardSummary {
    /// Boards the user is a member of, archived ones included.
    pub count: u64,
    /// Open boards, the most recently changed first.
    pub recent: Vec<BoardBrief>,
}

/// A board, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardBrief {
    /// The board.
    pub id: BoardId,
    /// Its name.
    pub name: String,
    /// When anything on it last changed.
    pub last_activity_at: DateTime<Utc>,
}

/// A card, with the names of the board and column it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardBrief {
    /// The card.
    pub id: CardId,
    /// Its title.
    pub title: String,
    /// Its board.
    pub board_id: BoardId,
    /// The board's name.
    pub board_name: String,
    /// Its column.
    pub column_id: ColumnId,
    /// The column's name.
    pub column_name: String,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
}

/// The user's open cards in one column: how many, and the first few in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnCards {
    /// The column's board.
    pub board_id: BoardId,
    /// The board's name.
    pub board_name: String,
    /// The column.
    pub column_id: ColumnId,
    /// The column's name.
    pub column_name: String,
    /// How many open cards in it are assigned to the user.
    pub count: u64,
    /// The first of them, in the column's order.
    pub cards: Vec<CardBrief>,
}

/// A scheduled reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderBrief {
    /// The reminder.
    pub id: ReminderId,
    /// Its title.
    pub title: String,
    /// When it fires next.
    pub next_fire_at: Option<DateTime<Utc>>,
    /// The IANA time zone it is kept in.
    pub timezone: String,
}

/// A note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBrief {
    /// The note.
    pub id: NoteId,
    /// Its title.
    pub title: String,
    /// Whether it is pinned.
    pub pinned: bool,
    /// The board it belongs to; none for a personal note.
    pub board_id: Option<BoardId>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The user's unread notifications: how many, and the newest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationSummary {
    /// How many are unread.
    pub unread: u64,
    /// The newest unread ones.
    pub latest: Vec<NotificationBrief>,
}

/// A notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationBrief {
    /// The notification.
    pub id: NotificationId,
    /// What it says.
    pub title: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// An event of the audit log, as the activity list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The event.
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The user who caused it; none for the system.
    pub actor_id: Option<UserId>,
    /// What happened (`card.moved`).
    pub action: String,
    /// The kind of resource (`card`).
    pub resource_type: String,
    /// The resource.
    pub resource_id: Uuid,
    /// Its board, if any.
    pub board_id: Option<BoardId>,
}

/// The state a dashboard was read at. Every committed change that a dashboard can show
/// changes the stamp of each user whose dashboard shows it, except the passing of time and
/// changes by others outside the user's boards (the cache's time to live covers those).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stamp {
    /// How many boards the user is a member of.
    pub boards: u64,
    /// The sum of those boards' revisions (each advances with every change on its board).
    pub board_revisions: u64,
    /// The revision of the user's own data (notes, reminders, notifications, their own changes).
    pub personal: u64,
}

/// A rendered dashboard as kept in the cache: the stamp it was read at, the body as the
/// inbound adapter rendered it and a tag of the body's content (an `ETag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The state the dashboard was read at.
    pub stamp: Stamp,
    /// A digest of the body: equal bodies have equal tags.
    pub tag: String,
    /// The body.
    pub body: bytes::Bytes,
}

impl Rendered {
    /// `body` read at `stamp`, tagged with the first 16 bytes of its SHA-256, in hex.
    pub fn new(stamp: Stamp, body: bytes::Bytes) -> Self {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(&body);
        Self { stamp, tag: hex::encode(&digest[..16]), body }
    }
}
