//! What the notes domain needs from the outside world.
//!
//! [`NoteStore`] is the pool: reads, and [`NoteStore::begin`] to open a [`NoteTx`], the unit of
//! work every write goes through (the change and its event commit together or not at all).
//! [`BoardAccess`] answers the two questions notes asks about boards, without notes depending
//! on the board crate.

use kernel::{BoardId, CardId, DomainEvent, NoteId, RepoError, UserId, Version};

use crate::model::{Note, NoteFilter};

/// A caller's role on a board, as far as notes care. Ordered: a higher role may do everything a
/// lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteRole {
    /// Sees the board's notes.
    Viewer,
    /// Also writes notes on the board and changes any of them.
    Editor,
    /// As an editor, for notes.
    Owner,
}

/// Where notes live: reads, and the start of units of work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait NoteStore: Send + Sync {
    /// Opens a unit of work. Dropping it without [`NoteTx::commit`] rolls everything back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin(&self) -> Result<Box<dyn NoteTx>, RepoError>;

    /// One note, with its tags.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such note.
    async fn get(&self, id: NoteId) -> Result<Note, RepoError>;

    /// At most `limit` notes `viewer` may see (their personal notes and those of boards they are
    /// a member of) matching `filter` (whose `q` is ignored), newest first (by id, descending),
    /// starting after `after`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list(
        &self,
        viewer: UserId,
        filter: NoteFilter,
        after: Option<NoteId>,
        limit: u32,
    ) -> Result<Vec<Note>, RepoError>;

    /// At most `limit` notes `viewer` may see matching `filter` and holding every one of
    /// `terms` (non-empty words, lower-case) in their title or body, best first (title matches
    /// rank above body matches; ties by id, descending), skipping the first `offset`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn search(
        &self,
        viewer: UserId,
        filter: NoteFilter,
        terms: Vec<String>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Note>, RepoError>;
}

/// A unit of work on notes, bound to one open transaction: the writes of one use case, followed
/// by exactly one [`NoteTx::record`] and one [`NoteTx::commit`].
///
/// Versioned writes apply only when the stored version still equals `expected`; otherwise they
/// fail with `RepoError::Conflict` and change nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait NoteTx: Send + Sync {
    /// Stores a new note with its tags.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the id is taken; `RepoError::NotFound` when its owner, board
    /// or card is gone.
    async fn insert(&self, note: &Note) -> Result<(), RepoError>;

    /// Overwrites a note and its tags.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`; `RepoError::NotFound`
    /// when the note (or its new board or card) is gone.
    async fn update(&self, note: &Note, expected: Version) -> Result<(), RepoError>;

    /// Deletes a note and its tags.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`; `RepoError::NotFound`
    /// when it is gone.
    async fn delete(&self, id: NoteId, expected: Version) -> Result<(), RepoError>;

    /// Appends the change's domain event (audit record and outbox row) in this transaction.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`; the unit of work must then be abandoned.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Makes every write of the unit of work durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the store refused the transaction; `Unavailable` when the
    /// connection was lost (the outcome is then unknown).
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// What notes needs to know about boards. The application wires the board tables into it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait BoardAccess: Send + Sync {
    /// The role `user` holds on `board`; `None` when not a member or no such board.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn role_of(&self, board: BoardId, user: UserId) -> Result<Option<NoteRole>, RepoError>;

    /// The board `card` is on; `None` when there is no such card.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn card_board(&self, card: CardId) -> Result<Option<BoardId>, RepoError>;
}
