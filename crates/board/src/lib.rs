//! The board domain: kanban boards, their members, columns, cards, labels and comments.
//!
//! It holds the models and value types ([`model`]), the rank keys that order columns and cards
//! ([`rank`]), the ports it needs ([`ports`]) and the use cases ([`BoardService`]). It depends
//! on `kernel` and plain libraries only; adapters implement the ports and `app` wires them.

mod error;
pub mod model;
pub mod ports;
pub mod rank;
mod service;

pub use error::BoardError;
pub use model::{
    Board, BoardChanges, BoardName, BoardRole, BoardView, BoardViewRead, Card, CardChanges, CardFilter, CardMove,
    CardRef, CardTitle, Color, Column, ColumnChanges, ColumnLoad, ColumnMove, ColumnName, Comment, CommentBody,
    Description, Label, LabelChanges, LabelName, Member, NewBoard, NewCard, NewColumn, NewLabel, NewMember, Overview,
    OverviewLimits, RecentBoard, Revision, WipLimit,
};
pub use ports::{BoardStore, BoardTx, Siblings, UserDirectory};
pub use rank::Rank;
pub use service::BoardService;

#[cfg(feature = "mocks")]
pub use ports::{MockBoardStore, MockBoardTx, MockUserDirectory};
