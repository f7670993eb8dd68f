//! The board use cases, one file per resource.
//!
//! Every write runs in one [`BoardTx`]: authorise, read what the change needs (locking where
//! races matter), write, record exactly one [`DomainEvent`], commit. Any early return drops the
//! unit of work, which rolls it back.
//!
//! While a unit of work is open the service never calls the pool ([`BoardStore`] reads or the
//! [`UserDirectory`]): on SQLite the pool may hold a single connection, which the open
//! transaction already has.

mod boards;
mod cards;
mod columns;
mod comments;
mod labels;
mod members;
mod moves;
mod placement;
#[cfg(test)]
mod testing;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kernel::{BoardId, Caller, Changes, Clock, DomainEvent, IdGen, UserId, Version};
use uuid::Uuid;

use crate::error::BoardError;
use crate::model::{Board, BoardRole, Card, Column, Comment, Label};
use crate::ports::{BoardStore, BoardTx, UserDirectory};

/// The board use cases. Every one takes the authenticated [`Caller`] first.
///
/// Authorisation: a caller who is not a member of the board gets [`BoardError::NotFound`] (a
/// board's existence is never revealed), a viewer who tries to write gets
/// [`BoardError::Forbidden`], and only owners manage members or delete the board. Being an
/// administrator grants nothing here: administrators see the boards they are members of.
pub struct BoardService {
    store: Arc<dyn BoardStore>,
    users: Arc<dyn UserDirectory>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
}

impl BoardService {
    /// Builds the service on its ports.
    pub fn new(
        store: Arc<dyn BoardStore>,
        users: Arc<dyn UserDirectory>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Self {
        Self { store, users, clock, ids }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn new_id(&self) -> Uuid {
        self.ids.new_id()
    }

    /// The caller's role on `board`, checked against `needed`, read through the pool.
    async fn role_on(&self, caller: &Caller, board: BoardId, needed: BoardRole) -> Result<BoardRole, BoardError> {
        require(self.store.membership(board, caller.user_id).await?, needed)
    }

    /// Records the change's event and commits the unit of work.
    async fn finish(
        &self,
        tx: Box<dyn BoardTx>,
        caller: &Caller,
        action: &'static str,
        subject: Subject,
        changes: Changes,
    ) -> Result<(), BoardError> {
        let event = DomainEvent {
            id: self.new_id(),
            occurred_at: self.now(),
            actor: caller.actor,
            action,
            resource_type: subject.resource_type,
            resource_id: subject.resource_id,
            board_id: Some(subject.board_id),
            changes,
            meta: caller.meta.clone(),
        };
        tx.record(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl std::fmt::Debug for BoardService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardService").finish_non_exhaustive()
    }
}

/// The caller's role on `board` through the unit of work, checked against `needed`.
async fn role_in(
    tx: &dyn BoardTx,
    caller: &Caller,
    board: BoardId,
    needed: BoardRole,
) -> Result<BoardRole, BoardError> {
    require(tx.membership(board, caller.user_id).await?, needed)
}

/// Non-members learn nothing (`NotFound`); members without the rights are `Forbidden`.
fn require(role: Option<BoardRole>, needed: BoardRole) -> Result<BoardRole, BoardError> {
    match role {
        None => Err(BoardError::NotFound),
        Some(role) if role < needed => Err(BoardError::Forbidden),
        Some(role) => Ok(role),
    }
}

/// The caller's `If-Match`, when given, must name the current version.
fn check_version(current: Version, expected: Option<Version>) -> Result<(), BoardError> {
    match expected {
        Some(expected) if expected != current => Err(BoardError::VersionMismatch),
        _ => Ok(()),
    }
}

/// Sorts and de-duplicates ids, the order in which they are stored and read back.
fn normalise<T: Ord>(mut ids: Vec<T>) -> Vec<T> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What an event is about.
struct Subject {
    resource_type: &'static str,
    resource_id: Uuid,
    board_id: BoardId,
}

impl Subject {
    fn board(board: &Board) -> Self {
        Self { resource_type: "board", resource_id: board.id.as_uuid(), board_id: board.id }
    }

    fn member(board: BoardId, user: UserId) -> Self {
        Self { resource_type: "board_member", resource_id: user.as_uuid(), board_id: board }
    }

    fn column(column: &Column) -> Self {
        Self { resource_type: "column", resource_id: column.id.as_uuid(), board_id: column.board_id }
    }

    fn card(card: &Card) -> Self {
        Self { resource_type: "card", resource_id: card.id.as_uuid(), board_id: card.board_id }
    }

    fn label(label: &Label) -> Self {
        Self { resource_type: "label", resource_id: label.id.as_uuid(), board_id: label.board_id }
    }

    fn comment(comment: &Comment) -> Self {
        Self { resource_type: "comment", resource_id: comment.id.as_uuid(), board_id: comment.board_id }
    }
}

/// JSON for an id list in an event.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> serde_json::Value {
    ids.iter().map(ToString::to_string).collect()
}
