//! The notes domain's entity, value types and use-case inputs. No serde, no ORM: adapters
//! convert at their edge.

mod note;
mod values;

pub use note::{NewNote, Note, NoteChanges, NoteCursor, NoteFilter, NotePage, SEARCH_WINDOW};
pub use values::{BodyError, NoteBody, NoteTitle, SearchText, Tag, TagError, Tags, TextError};
