//! Inputs of the use cases, made of already-parsed values: the HTTP adapter parses its DTOs into
//! these, so a use case never sees an invalid name or colour.

use chrono::{DateTime, Utc};
use kernel::{CardId, ColumnId, LabelId, UserId};

use super::values::{BoardName, BoardRole, CardTitle, Color, ColumnName, Description, LabelName, WipLimit};

/// A board to create; the caller becomes its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBoard {
    /// Its name.
    pub name: BoardName,
    /// Its description (may be empty).
    pub description: Description,
}

/// Changes to a board; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardChanges {
    /// A new name.
    pub name: Option<BoardName>,
    /// A new description.
    pub description: Option<Description>,
    /// Archive or restore.
    pub archived: Option<bool>,
}

/// A member to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMember {
    /// The user, who must exist.
    pub user_id: UserId,
    /// Their role.
    pub role: BoardRole,
}

/// A column to append to a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    /// Its name.
    pub name: ColumnName,
    /// Its WIP limit, if any.
    pub wip_limit: Option<WipLimit>,
}

/// Where to move a column: in front of `before_id`, behind `after_id`, or (neither) last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnMove {
    /// The column this one is placed in front of.
    pub before_id: Option<ColumnId>,
    /// The column this one is placed behind.
    pub after_id: Option<ColumnId>,
}

/// Changes to a column; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnChanges {
    /// A new name.
    pub name: Option<ColumnName>,
    /// `Some(None)` removes the limit.
    pub wip_limit: Option<Option<WipLimit>>,
    /// A new position.
    pub position: Option<ColumnMove>,
}

/// A card to append to a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCard {
    /// Its title.
    pub title: CardTitle,
    /// The column, which must belong to the board.
    pub column_id: ColumnId,
    /// Its description (may be empty).
    pub description: Description,
    /// Labels of the same board.
    pub labels: Vec<LabelId>,
    /// Members of the board.
    pub assignees: Vec<UserId>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
}

/// Changes to a card; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardChanges {
    /// A new title.
    pub title: Option<CardTitle>,
    /// A new description.
    pub description: Option<Description>,
    /// The complete new set of labels.
    pub labels: Option<Vec<LabelId>>,
    /// The complete new set of assignees.
    pub assignees: Option<Vec<UserId>>,
    /// `Some(None)` clears the due date.
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// Archive or restore.
    pub archived: Option<bool>,
}

/// Where to move a card: in front of `before_id`, behind `after_id`, or (neither) last in
/// `column_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardMove {
    /// The destination column, on the same board.
    pub column_id: ColumnId,
    /// The card this one is placed in front of.
    pub before_id: Option<CardId>,
    /// The card this one is placed behind.
    pub after_id: Option<CardId>,
}

/// Which cards to list; every set field must match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardFilter {
    /// In this column.
    pub column_id: Option<ColumnId>,
    /// Assigned to this user.
    pub assignee: Option<UserId>,
    /// Carrying this label.
    pub label: Option<LabelId>,
    /// Due strictly before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// Archived or not; `None` lists both.
    pub archived: Option<bool>,
}

/// A label to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    /// Its name.
    pub name: LabelName,
    /// Its colour.
    pub color: Color,
}

/// Changes to a label; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelChanges {
    /// A new name.
    pub name: Option<LabelName>,
    /// A new colour.
    pub color: Option<Color>,
}
