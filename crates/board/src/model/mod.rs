//! The board domain's entities, value types and use-case inputs. No serde, no ORM: adapters
//! convert at their edge.

mod entities;
mod input;
mod overview;
mod values;

pub use entities::{Board, BoardView, BoardViewRead, Card, Column, Comment, Label, Member, Revision};
pub use input::{
    BoardChanges, CardChanges, CardFilter, CardMove, ColumnChanges, ColumnMove, LabelChanges, NewBoard, NewCard,
    NewColumn, NewLabel, NewMember,
};
pub use overview::{CardRef, ColumnLoad, Overview, OverviewLimits, RecentBoard};
pub use values::{
    BoardName, BoardRole, BoardRoleError, CardTitle, Color, ColorError, ColumnName, CommentBody, Description,
    LabelName, TextError, WipLimit, WipLimitError,
};
