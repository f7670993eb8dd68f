//! [`notes::NoteStore`], [`notes::NoteTx`] and [`notes::BoardAccess`] on SeaORM: thin
//! delegations to the query functions, which serve the pool and the transaction alike.

use kernel::{BoardId, CardId, DomainEvent, NoteId, RepoError, UserId, Version};
use notes::{BoardAccess, Note, NoteFilter, NoteRole, NoteStore, NoteTx};
use sea_orm::{DatabaseTransaction, TransactionTrait as _};

use super::{queries, search};
use crate::Db;
use crate::error::RepoResult;
use crate::events::Advance;

/// Notes in SQL. Also answers [`BoardAccess`] from the board tables.
#[derive(Debug, Clone)]
pub struct SeaNoteStore {
    db: Db,
}

impl SeaNoteStore {
    /// A store on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// One transaction over the note tables and the event log; rolls back when dropped.
#[derive(Debug)]
pub struct SeaNoteTx {
    txn: DatabaseTransaction,
}

#[async_trait::async_trait]
impl NoteStore for SeaNoteStore {
    async fn begin(&self) -> Result<Box<dyn NoteTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        Ok(Box::new(SeaNoteTx { txn }))
    }

    async fn get(&self, id: NoteId) -> Result<Note, RepoError> {
        queries::get(self.db.reads(), id).await
    }

    async fn list(
        &self,
        viewer: UserId,
        filter: NoteFilter,
        after: Option<NoteId>,
        limit: u32,
    ) -> Result<Vec<Note>, RepoError> {
        search::list(self.db.reads(), viewer, &filter, after, limit).await
    }

    async fn search(
        &self,
        viewer: UserId,
        filter: NoteFilter,
        terms: Vec<String>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Note>, RepoError> {
        search::search(self.db.reads(), viewer, &filter, &terms, offset, limit).await
    }
}

#[async_trait::async_trait]
impl BoardAccess for SeaNoteStore {
    async fn role_of(&self, board: BoardId, user: UserId) -> Result<Option<NoteRole>, RepoError> {
        queries::role_of(self.db.reads(), board, user).await
    }

    async fn card_board(&self, card: CardId) -> Result<Option<BoardId>, RepoError> {
        queries::card_board(self.db.reads(), card).await
    }
}

#[async_trait::async_trait]
impl NoteTx for SeaNoteTx {
    async fn insert(&self, note: &Note) -> Result<(), RepoError> {
        queries::insert(&self.txn, note).await
    }

    async fn update(&self, note: &Note, expected: Version) -> Result<(), RepoError> {
        queries::update(&self.txn, note, expected).await
    }

    async fn delete(&self, id: NoteId, expected: Version) -> Result<(), RepoError> {
        queries::delete(&self.txn, id, expected).await
    }

    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError> {
        crate::events::record(&self.txn, event, Advance::Actor).await
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}
