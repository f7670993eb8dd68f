//! What a board is made of.

use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, ColumnId, CommentId, LabelId, UserId, Version};

use super::values::{
    BoardName, BoardRole, CardTitle, Color, ColumnName, CommentBody, Description, LabelName, WipLimit,
};
use crate::rank::Rank;

/// A kanban board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// Its id.
    pub id: BoardId,
    /// Its name.
    pub name: BoardName,
    /// Markdown shown under the name.
    pub description: Description,
    /// The board's principal owner: its creator, or another owner once the creator stops being
    /// one. Rights come from [`Member::role`]; this names whom to ask.
    pub owner_id: UserId,
    /// Archived boards are kept, read-only in spirit, and hidden by clients.
    pub archived: bool,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A user's membership of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The board.
    pub board_id: BoardId,
    /// The member.
    pub user_id: UserId,
    /// What the member may do.
    pub role: BoardRole,
    /// When the user joined.
    pub created_at: DateTime<Utc>,
    /// When the role last changed.
    pub updated_at: DateTime<Utc>,
}

/// A column of a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its id.
    pub id: ColumnId,
    /// The board it belongs to.
    pub board_id: BoardId,
    /// Its name.
    pub name: ColumnName,
    /// Its position among the board's columns.
    pub rank: Rank,
    /// How many open cards it may hold, if limited.
    pub wip_limit: Option<WipLimit>,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A card in a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// Its id.
    pub id: CardId,
    /// The board it belongs to.
    pub board_id: BoardId,
    /// The column it sits in.
    pub column_id: ColumnId,
    /// Its title.
    pub title: CardTitle,
    /// Markdown details.
    pub description: Description,
    /// Its position in its column.
    pub rank: Rank,
    /// The board's labels put on it, sorted by id.
    pub labels: Vec<LabelId>,
    /// Members it is assigned to, sorted by id.
    pub assignees: Vec<UserId>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Archived cards stay in their column but no longer count towards its WIP limit.
    pub archived: bool,
    /// Grows by one on every change.
    pub version: Version,
    /// Who created it.
    pub created_by: UserId,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A board-scoped label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Its id.
    pub id: LabelId,
    /// The board it belongs to.
    pub board_id: BoardId,
    /// Its name.
    pub name: LabelName,
    /// Its colour.
    pub color: Color,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A comment on a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// The card commented on.
    pub card_id: CardId,
    /// The card's board.
    pub board_id: BoardId,
    /// Who wrote it.
    pub author_id: UserId,
    /// What it says.
    pub body: CommentBody,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub updated_at: DateTime<Utc>,
}

/// How many committed changes a board's view has seen: it grows with every unit of work that
/// records an event of the board (see [`crate::BoardTx::record`]), so a copy of a view read at
/// revision `r` is still exact while the board's revision is `r`. Unlike [`Board::version`],
/// which counts changes of the board's own fields, it also counts changes to its columns,
/// cards, labels and members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(u64);

impl Revision {
    /// The revision of a board nothing has happened to since its creation.
    pub const ZERO: Self = Self(0);

    /// A revision from its stored number.
    pub const fn new(n: u64) -> Self {
        Self(n)
    }
}

/// A whole board in one read: what a board page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardView {
    /// The board.
    pub board: Board,
    /// The revision the view was read at (one snapshot with everything below).
    pub revision: Revision,
    /// Its members, by user id.
    pub members: Vec<Member>,
    /// Its labels, by id.
    pub labels: Vec<Label>,
    /// Its columns, by rank.
    pub columns: Vec<Column>,
    /// Its open (non-archived) cards, by column rank then card rank.
    pub cards: Vec<Card>,
}

/// The answer to "the whole board, unless my copy read at a given revision is still exact".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardViewRead {
    /// The copy is exact: nothing in the view has changed since.
    Unchanged,
    /// The view as it is now (boxed: it is large and the other answer is empty).
    Changed(Box<BoardView>),
}

impl BoardView {
    /// The role `user` holds on the board, if a member.
    pub fn role_of(&self, user: UserId) -> Option<BoardRole> {
        self.members.iter().find(|m| m.user_id == user).map(|m| m.role)
    }
}
