//! The notes domain: markdown notes, personal or attached to a board (and optionally to one of
//! its cards), with tags, pinning, archiving and full-text search.
//!
//! It holds the models and value types ([`model`]), the ports it needs ([`ports`]) and the use
//! cases ([`NoteService`]). It depends on `kernel` and plain libraries only: what it needs to
//! know about boards (a caller's role, which board a card is on) it asks through
//! [`BoardAccess`], which an adapter answers and `app` wires.

mod error;
pub mod model;
pub mod ports;
mod service;

pub use error::NoteError;
pub use model::{
    BodyError, NewNote, Note, NoteBody, NoteChanges, NoteCursor, NoteFilter, NotePage, NoteTitle, SEARCH_WINDOW,
    SearchText, Tag, TagError, Tags, TextError,
};
pub use ports::{BoardAccess, NoteRole, NoteStore, NoteTx};
pub use service::NoteService;

#[cfg(feature = "mocks")]
pub use ports::{MockBoardAccess, MockNoteStore, MockNoteTx};
