//! One user's boards at a glance, for their dashboard.

use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, ColumnId};

/// A user's boards at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// How many boards the user is a member of, archived ones included.
    pub board_count: u64,
    /// Open boards, the most recently changed first.
    pub recent: Vec<RecentBoard>,
    /// The user's open cards on open boards, by column: boards by name, columns in board order.
    pub assigned: Vec<ColumnLoad>,
    /// Open cards on the user's open boards that were due before now, the longest overdue first.
    pub overdue: Vec<CardRef>,
    /// Open cards on the user's open boards due from now until the horizon, soonest first.
    pub due_soon: Vec<CardRef>,
}

/// How much an [`Overview`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverviewLimits {
    /// Recently changed boards.
    pub recent_boards: u32,
    /// Columns in [`Overview::assigned`].
    pub columns: u32,
    /// Cards listed per column (all are counted).
    pub cards_per_column: u32,
    /// Overdue cards, and again cards due soon.
    pub due_cards: u32,
}

/// A board and when anything on it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentBoard {
    /// The board.
    pub id: BoardId,
    /// Its name.
    pub name: String,
    /// When its last change committed.
    pub changed_at: DateTime<Utc>,
}

/// A card with the names of its board and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRef {
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

/// A user's open cards in one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnLoad {
    /// How many open cards of the column are assigned to the user.
    pub count: u64,
    /// The first of them in the column's order; each names the column and its board.
    pub cards: Vec<CardRef>,
}
