//! What the board domain needs from the outside world.
//!
//! [`BoardStore`] is the pool: reads for the GET use cases, and [`BoardStore::begin`] to open a
//! [`BoardTx`], the unit of work every write goes through (the change, its audit event and its
//! outbox row commit together or not at all). [`UserDirectory`] answers whether a user exists,
//! without board depending on identity.

use chrono::{DateTime, Utc};
use kernel::{
    BoardId, CardId, ColumnId, CommentId, DomainEvent, LabelId, Page, PageRequest, RepoError, UserId, Version,
};
use uuid::Uuid;

use crate::model::{
    Board, BoardRole, BoardView, Card, CardFilter, Column, Comment, Label, Member, Overview, OverviewLimits, Revision,
};
use crate::rank::Rank;

/// A set of items ordered by rank among themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Siblings {
    /// The columns of a board.
    Columns(BoardId),
    /// The cards of a column, archived ones included.
    Cards(ColumnId),
}

/// Where boards live: reads, and the start of units of work.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait BoardStore: Send + Sync {
    /// Opens a unit of work. Dropping it without [`BoardTx::commit`] rolls everything back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin(&self) -> Result<Box<dyn BoardTx>, RepoError>;

    /// The role `user` holds on `board`; `None` when not a member or no such board.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn membership(&self, board: BoardId, user: UserId) -> Result<Option<BoardRole>, RepoError>;

    /// The whole board, in a constant number of queries whatever its size.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such board.
    async fn get_board_view(&self, board: BoardId) -> Result<BoardView, RepoError>;

    /// The role `user` holds on `board` and the board's current [`Revision`], read together
    /// (one statement), for callers holding a copy of its view; `None` when not a member or no
    /// such board.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn membership_and_revision(
        &self,
        board: BoardId,
        user: UserId,
    ) -> Result<Option<(BoardRole, Revision)>, RepoError>;

    /// The boards `user` is a member of, by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list_boards_for_user(&self, user: UserId, page: PageRequest) -> Result<Page<Board>, RepoError>;

    /// `user`'s boards at a glance: how many, the recently changed open ones, the user's open
    /// cards by column, and open cards due before `now` (overdue) and from `now` until
    /// `due_until` (due soon), on open boards. A handful of queries whatever the number of
    /// boards.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn overview(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        due_until: DateTime<Utc>,
        limits: OverviewLimits,
    ) -> Result<Overview, RepoError>;

    /// The members of `board`, by user id (the cursor is a user id).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list_members(&self, board: BoardId, page: PageRequest) -> Result<Page<Member>, RepoError>;

    /// The cards of `board` matching `filter`, by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list_cards(&self, board: BoardId, filter: CardFilter, page: PageRequest) -> Result<Page<Card>, RepoError>;

    /// One card, with its labels and assignees.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such card.
    async fn get_card(&self, card: CardId) -> Result<Card, RepoError>;

    /// One column.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such column.
    async fn get_column(&self, column: ColumnId) -> Result<Column, RepoError>;

    /// One label.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such label.
    async fn get_label(&self, label: LabelId) -> Result<Label, RepoError>;

    /// One comment.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such comment.
    async fn get_comment(&self, comment: CommentId) -> Result<Comment, RepoError>;

    /// The labels of `board`, by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list_labels(&self, board: BoardId, page: PageRequest) -> Result<Page<Label>, RepoError>;

    /// The comments on `card`, oldest first (by id).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn list_comments(&self, card: CardId, page: PageRequest) -> Result<Page<Comment>, RepoError>;
}

/// A unit of work on boards, bound to one open transaction. Every write of a use case goes
/// through it, followed by exactly one [`BoardTx::record`] and one [`BoardTx::commit`].
///
/// Versioned writes (`update_*`, `delete_*` taking a [`Version`]) apply only when the stored
/// version still equals `expected`; otherwise they fail with `RepoError::Conflict` and change
/// nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait BoardTx: Send + Sync {
    /// The board, locked against concurrent writers until the end of the unit of work where the
    /// store supports row locks (membership changes serialise on it).
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such board.
    async fn lock_board(&self, board: BoardId) -> Result<Board, RepoError>;

    /// The role `user` holds on `board`, `None` when not a member.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn membership(&self, board: BoardId, user: UserId) -> Result<Option<BoardRole>, RepoError>;

    /// One membership.
    ///
    /// # Errors
    /// `RepoError::NotFound` when `user` is not a member of `board`.
    async fn get_member(&self, board: BoardId, user: UserId) -> Result<Member, RepoError>;

    /// Some owner of `board` other than `excluding`, if there is one.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn other_owner(&self, board: BoardId, excluding: UserId) -> Result<Option<UserId>, RepoError>;

    /// Which of `users` are members of `board`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn members_among(&self, board: BoardId, users: Vec<UserId>) -> Result<Vec<UserId>, RepoError>;

    /// One column, without locking it.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such column.
    async fn get_column(&self, column: ColumnId) -> Result<Column, RepoError>;

    /// The column, locked against concurrent writers until the end of the unit of work where
    /// the store supports row locks, so that WIP checks and rank choices in it are race-free.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such column.
    async fn lock_column(&self, column: ColumnId) -> Result<Column, RepoError>;

    /// How many cards `column` holds; archived ones only when `include_archived`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn count_cards(&self, column: ColumnId, include_archived: bool) -> Result<u64, RepoError>;

    /// One card, with its labels and assignees.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such card.
    async fn get_card(&self, card: CardId) -> Result<Card, RepoError>;

    /// One label.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such label.
    async fn get_label(&self, label: LabelId) -> Result<Label, RepoError>;

    /// Which of `labels` belong to `board`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn labels_on_board(&self, board: BoardId, labels: Vec<LabelId>) -> Result<Vec<LabelId>, RepoError>;

    /// One comment.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is no such comment.
    async fn get_comment(&self, comment: CommentId) -> Result<Comment, RepoError>;

    /// The greatest rank among `siblings` strictly below `bound` (the greatest of all when
    /// `bound` is `None`), ignoring the item `excluding`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn rank_before(
        &self,
        siblings: Siblings,
        bound: Option<Rank>,
        excluding: Uuid,
    ) -> Result<Option<Rank>, RepoError>;

    /// The least rank among `siblings` strictly above `bound`, ignoring the item `excluding`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn rank_after(&self, siblings: Siblings, bound: Rank, excluding: Uuid) -> Result<Option<Rank>, RepoError>;

    /// Every sibling's id and rank, in order (ties by id).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn sibling_ranks(&self, siblings: Siblings) -> Result<Vec<(Uuid, Rank)>, RepoError>;

    /// Rewrites the ranks of some siblings, leaving their versions alone: a rebalance is
    /// invisible to clients.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn set_ranks(&self, siblings: Siblings, ranks: Vec<(Uuid, Rank)>) -> Result<(), RepoError>;

    /// Stores a new board.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the id is taken.
    async fn insert_board(&self, board: &Board) -> Result<(), RepoError>;

    /// Overwrites a board's fields.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn update_board(&self, board: &Board, expected: Version) -> Result<(), RepoError>;

    /// Deletes a board and, by cascade, everything on it.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn delete_board(&self, board: BoardId, expected: Version) -> Result<(), RepoError>;

    /// Stores a new membership.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the user is already a member; `RepoError::NotFound` when the
    /// board or the user does not exist.
    async fn insert_member(&self, member: &Member) -> Result<(), RepoError>;

    /// Overwrites a membership's role and `updated_at`.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the membership is gone.
    async fn update_member(&self, member: &Member) -> Result<(), RepoError>;

    /// Ends a membership; the user's assignments on the board's cards go with it, and each card
    /// that loses one is changed at `at` (its version moves on, so its `ETag` does too).
    ///
    /// # Errors
    /// `RepoError::NotFound` when the membership is gone.
    async fn delete_member(&self, board: BoardId, user: UserId, at: DateTime<Utc>) -> Result<(), RepoError>;

    /// Stores a new column.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the board is gone.
    async fn insert_column(&self, column: &Column) -> Result<(), RepoError>;

    /// Overwrites a column's fields.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn update_column(&self, column: &Column, expected: Version) -> Result<(), RepoError>;

    /// Deletes a column.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn delete_column(&self, column: ColumnId, expected: Version) -> Result<(), RepoError>;

    /// Stores a new card with its labels and assignees.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the board, column, a label or an assignee is gone.
    async fn insert_card(&self, card: &Card) -> Result<(), RepoError>;

    /// Overwrites a card's own row (not its labels or assignees): a move writes one row.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn update_card(&self, card: &Card, expected: Version) -> Result<(), RepoError>;

    /// Replaces the labels of a card of `board`.
    ///
    /// # Errors
    /// `RepoError::NotFound` when a label is gone.
    async fn set_card_labels(&self, board: BoardId, card: CardId, labels: Vec<LabelId>) -> Result<(), RepoError>;

    /// Replaces the assignees of a card of `board`.
    ///
    /// # Errors
    /// `RepoError::NotFound` when an assignee is no longer a member.
    async fn set_card_assignees(&self, board: BoardId, card: CardId, users: Vec<UserId>) -> Result<(), RepoError>;

    /// Deletes a card and its comments.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn delete_card(&self, card: CardId, expected: Version) -> Result<(), RepoError>;

    /// Stores a new label.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the board is gone.
    async fn insert_label(&self, label: &Label) -> Result<(), RepoError>;

    /// Overwrites a label's fields.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn update_label(&self, label: &Label, expected: Version) -> Result<(), RepoError>;

    /// Deletes a label of `board`; the cards carrying it lose it, and each is changed at `at` (its
    /// version moves on, so its `ETag` does too).
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn delete_label(
        &self,
        board: BoardId,
        label: LabelId,
        expected: Version,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// Stores a new comment.
    ///
    /// # Errors
    /// `RepoError::NotFound` when the card is gone.
    async fn insert_comment(&self, comment: &Comment) -> Result<(), RepoError>;

    /// Overwrites a comment's body.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn update_comment(&self, comment: &Comment, expected: Version) -> Result<(), RepoError>;

    /// Deletes a comment.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the stored version is not `expected`.
    async fn delete_comment(&self, comment: CommentId, expected: Version) -> Result<(), RepoError>;

    /// Appends the change's domain event (audit record and outbox row) in this transaction, and
    /// advances the [`Revision`] of the event's board, so that the change and the new revision
    /// commit together. Use cases call it last, just before [`BoardTx::commit`]: a store may lock
    /// the revision until the commit, and a lock taken last cannot close a cycle.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`; the unit of work must then be abandoned.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Makes every write of the unit of work durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the store refused the transaction (a serialisation failure);
    /// `Unavailable` when the connection was lost (the outcome is then unknown).
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Who exists, as far as boards care. The application wires identity's user store into it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait UserDirectory: Send + Sync {
    /// Whether a user with this id exists.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected` on store failure.
    async fn user_exists(&self, id: UserId) -> Result<bool, RepoError>;
}
