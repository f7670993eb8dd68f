//! [`board::BoardStore`], [`board::BoardTx`] and [`board::UserDirectory`] on SeaORM: thin
//! delegations to the query functions, which serve the pool and the transaction alike.

use board::{
    Board, BoardRole, BoardStore, BoardTx, BoardView, Card, CardFilter, Column, Comment, Label, Member, Overview,
    OverviewLimits, Rank, Revision, Siblings, UserDirectory,
};
use chrono::{DateTime, Utc};
use kernel::{
    BoardId, CardId, ColumnId, CommentId, DomainEvent, LabelId, Page, PageRequest, RepoError, UserId, Version,
};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, IsolationLevel,
    PaginatorTrait, QueryFilter, TransactionTrait as _,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use uuid::Uuid;

use super::ranks::Side;
use super::{boards, cards, columns, labels, overview, ranks, view};
use crate::Db;
use crate::entity::user;
use crate::error::RepoResult;
use crate::events::Advance;

/// Boards in SQL. Also answers [`UserDirectory`] from the `users` table.
#[derive(Debug, Clone)]
pub struct SeaBoardStore {
    db: Db,
    views: Arc<ViewBudget>,
}

impl SeaBoardStore {
    /// A store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db, views: Arc::new(ViewBudget::new()) }
    }
}

/// Permits shared by the board views being read at once.
const VIEW_PERMITS: u32 = 8;
/// Open cards a permit stands for.
const CARDS_PER_PERMIT: usize = 2_000;

/// Bounds the memory of board views in assembly. A view holds its rows, their models and the
/// domain view at once (tens of MB for 10,000 cards); without a bound, every pool connection can
/// be reading one, which set the server's peak memory (docs/performance.md). A read takes permits
/// in proportion to the board's open cards when it was last read, so many small boards still
/// read in parallel while very large ones take turns.
#[derive(Debug)]
struct ViewBudget {
    permits: Semaphore,
    /// Permits of the boards that needed more than one at their last read (only those).
    large: Mutex<HashMap<BoardId, u32>>,
}

impl ViewBudget {
    fn new() -> Self {
        Self { permits: Semaphore::new(VIEW_PERMITS as usize), large: Mutex::new(HashMap::new()) }
    }

    fn weight(&self, board: BoardId) -> u32 {
        self.large.lock().map_or(1, |large| large.get(&board).copied().unwrap_or(1))
    }

    fn remember(&self, board: BoardId, cards: usize) {
        let weight = u32::try_from(cards.div_ceil(CARDS_PER_PERMIT)).unwrap_or(VIEW_PERMITS).clamp(1, VIEW_PERMITS);
        if let Ok(mut large) = self.large.lock() {
            if weight > 1 {
                large.insert(board, weight);
            } else {
                large.remove(&board);
            }
        }
    }
}

/// One transaction over the board tables and the event log; rolls back when dropped.
#[derive(Debug)]
pub struct SeaBoardTx {
    txn: DatabaseTransaction,
}

#[async_trait::async_trait]
impl BoardStore for SeaBoardStore {
    async fn begin(&self) -> Result<Box<dyn BoardTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaBoardTx { txn }))
    }

    async fn membership(&self, board: BoardId, user: UserId) -> Result<Option<BoardRole>, RepoError> {
        boards::membership(self.db.reads(), board, user).await
    }

    async fn get_board_view(&self, board: BoardId) -> Result<BoardView, RepoError> {
        let _permits = self
            .views
            .permits
            .acquire_many(self.views.weight(board))
            .await
            .map_err(|e| RepoError::Unexpected(anyhow::Error::new(e)))?;
        // One snapshot for the eight reads, so a concurrent move cannot show a card twice. A
        // SQLite transaction is a snapshot already; PostgreSQL needs REPEATABLE READ.
        let reads = self.db.reads();
        let txn = match reads.get_database_backend() {
            DatabaseBackend::Postgres => reads
                .begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
                .await
                .repo()?,
            _ => reads.begin().await.repo()?,
        };
        let view = view::get_board_view(&txn, board).await?;
        txn.commit().await.repo()?;
        self.views.remember(board, view.cards.len());
        Ok(view)
    }

    async fn membership_and_revision(
        &self,
        board: BoardId,
        user: UserId,
    ) -> Result<Option<(BoardRole, Revision)>, RepoError> {
        boards::membership_and_revision(self.db.reads(), board, user).await
    }

    async fn list_boards_for_user(&self, user: UserId, page: PageRequest) -> Result<Page<Board>, RepoError> {
        boards::list_boards_for_user(self.db.reads(), user, page).await
    }

    async fn overview(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        due_until: DateTime<Utc>,
        limits: OverviewLimits,
    ) -> Result<Overview, RepoError> {
        overview::overview(self.db.reads(), user, now, due_until, limits).await
    }

    async fn list_members(&self, board: BoardId, page: PageRequest) -> Result<Page<Member>, RepoError> {
        boards::list_members(self.db.reads(), board, page).await
    }

    async fn list_cards(&self, board: BoardId, filter: CardFilter, page: PageRequest) -> Result<Page<Card>, RepoError> {
        cards::list_cards(self.db.reads(), board, filter, page).await
    }

    async fn get_card(&self, card: CardId) -> Result<Card, RepoError> {
        cards::get_card(self.db.reads(), card).await
    }

    async fn get_column(&self, column: ColumnId) -> Result<Column, RepoError> {
        columns::get_column(self.db.reads(), column, false).await
    }

    async fn get_label(&self, label: LabelId) -> Result<Label, RepoError> {
        labels::get_label(self.db.reads(), label).await
    }

    async fn get_comment(&self, comment: CommentId) -> Result<Comment, RepoError> {
        labels::get_comment(self.db.reads(), comment).await
    }

    async fn list_labels(&self, board: BoardId, page: PageRequest) -> Result<Page<Label>, RepoError> {
        labels::list_labels(self.db.reads(), board, page).await
    }

    async fn list_comments(&self, card: CardId, page: PageRequest) -> Result<Page<Comment>, RepoError> {
        labels::list_comments(self.db.reads(), card, page).await
    }
}

#[async_trait::async_trait]
impl UserDirectory for SeaBoardStore {
    async fn user_exists(&self, id: UserId) -> Result<bool, RepoError> {
        let n = user::Entity::find().filter(user::Column::Id.eq(id.as_uuid())).count(self.db.reads()).await.repo()?;
        Ok(n > 0)
    }
}

#[async_trait::async_trait]
impl BoardTx for SeaBoardTx {
    async fn lock_board(&self, board: BoardId) -> Result<Board, RepoError> {
        boards::get_board(&self.txn, board, true).await
    }

    async fn membership(&self, board: BoardId, user: UserId) -> Result<Option<BoardRole>, RepoError> {
        boards::membership(&self.txn, board, user).await
    }

    async fn get_member(&self, board: BoardId, user: UserId) -> Result<Member, RepoError> {
        boards::get_member(&self.txn, board, user).await
    }

    async fn other_owner(&self, board: BoardId, excluding: UserId) -> Result<Option<UserId>, RepoError> {
        boards::other_owner(&self.txn, board, excluding).await
    }

    async fn members_among(&self, board: BoardId, users: Vec<UserId>) -> Result<Vec<UserId>, RepoError> {
        boards::members_among(&self.txn, board, users).await
    }

    async fn get_column(&self, column: ColumnId) -> Result<Column, RepoError> {
        columns::get_column(&self.txn, column, false).await
    }

    async fn lock_column(&self, column: ColumnId) -> Result<Column, RepoError> {
        columns::get_column(&self.txn, column, true).await
    }

    async fn count_cards(&self, column: ColumnId, include_archived: bool) -> Result<u64, RepoError> {
        cards::count_cards(&self.txn, column, include_archived).await
    }

    async fn get_card(&self, card: CardId) -> Result<Card, RepoError> {
        cards::get_card(&self.txn, card).await
    }

    async fn get_label(&self, label: LabelId) -> Result<Label, RepoError> {
        labels::get_label(&self.txn, label).await
    }

    async fn labels_on_board(&self, board: BoardId, labels: Vec<LabelId>) -> Result<Vec<LabelId>, RepoError> {
        labels::labels_on_board(&self.txn, board, labels).await
    }

    async fn get_comment(&self, comment: CommentId) -> Result<Comment, RepoError> {
        labels::get_comment(&self.txn, comment).await
    }

    async fn rank_before(
        &self,
        siblings: Siblings,
        bound: Option<Rank>,
        excluding: Uuid,
    ) -> Result<Option<Rank>, RepoError> {
        ranks::neighbour(&self.txn, siblings, bound.as_ref(), Side::Below, excluding).await
    }

    async fn rank_after(&self, siblings: Siblings, bound: Rank, excluding: Uuid) -> Result<Option<Rank>, RepoError> {
        ranks::neighbour(&self.txn, siblings, Some(&bound), Side::Above, excluding).await
    }

    async fn sibling_ranks(&self, siblings: Siblings) -> Result<Vec<(Uuid, Rank)>, RepoError> {
        ranks::sibling_ranks(&self.txn, siblings).await
    }

    async fn set_ranks(&self, siblings: Siblings, ranks: Vec<(Uuid, Rank)>) -> Result<(), RepoError> {
        ranks::set_ranks(&self.txn, siblings, ranks).await
    }

    async fn insert_board(&self, board: &Board) -> Result<(), RepoError> {
        boards::insert_board(&self.txn, board).await
    }

    async fn update_board(&self, board: &Board, expected: Version) -> Result<(), RepoError> {
        boards::update_board(&self.txn, board, expected).await
    }

    async fn delete_board(&self, board: BoardId, expected: Version) -> Result<(), RepoError> {
        boards::delete_board(&self.txn, board, expected).await
    }

    async fn insert_member(&self, member: &Member) -> Result<(), RepoError> {
        boards::insert_member(&self.txn, member).await
    }

    async fn update_member(&self, member: &Member) -> Result<(), RepoError> {
        boards::update_member(&self.txn, member).await
    }

    async fn delete_member(&self, board: BoardId, user: UserId, at: DateTime<Utc>) -> Result<(), RepoError> {
        boards::delete_member(&self.txn, board, user, at).await
    }

    async fn insert_column(&self, column: &Column) -> Result<(), RepoError> {
        columns::insert_column(&self.txn, column).await
    }

    async fn update_column(&self, column: &Column, expected: Version) -> Result<(), RepoError> {
        columns::update_column(&self.txn, column, expected).await
    }

    async fn delete_column(&self, column: ColumnId, expected: Version) -> Result<(), RepoError> {
        columns::delete_column(&self.txn, column, expected).await
    }

    async fn insert_card(&self, card: &Card) -> Result<(), RepoError> {
        cards::insert_card(&self.txn, card).await
    }

    async fn update_card(&self, card: &Card, expected: Version) -> Result<(), RepoError> {
        cards::update_card(&self.txn, card, expected).await
    }

    async fn set_card_labels(&self, board: BoardId, card: CardId, labels: Vec<LabelId>) -> Result<(), RepoError> {
        cards::set_card_labels(&self.txn, board, card, &labels).await
    }

    async fn set_card_assignees(&self, board: BoardId, card: CardId, users: Vec<UserId>) -> Result<(), RepoError> {
        cards::set_card_assignees(&self.txn, board, card, &users).await
    }

    async fn delete_card(&self, card: CardId, expected: Version) -> Result<(), RepoError> {
        cards::delete_card(&self.txn, card, expected).await
    }

    async fn insert_label(&self, label: &Label) -> Result<(), RepoError> {
        labels::insert_label(&self.txn, label).await
    }

    async fn update_label(&self, label: &Label, expected: Version) -> Result<(), RepoError> {
        labels::update_label(&self.txn, label, expected).await
    }

    async fn delete_label(
        &self,
        board: BoardId,
        label: LabelId,
        expected: Version,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        labels::delete_label(&self.txn, board, label, expected, at).await
    }

    async fn insert_comment(&self, comment: &Comment) -> Result<(), RepoError> {
        labels::insert_comment(&self.txn, comment).await
    }

    async fn update_comment(&self, comment: &Comment, expected: Version) -> Result<(), RepoError> {
        labels::update_comment(&self.txn, comment, expected).await
    }

    async fn delete_comment(&self, comment: CommentId, expected: Version) -> Result<(), RepoError> {
        labels::delete_comment(&self.txn, comment, expected).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, event.board_id.map_or(Advance::Actor, Advance::Board)).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}
