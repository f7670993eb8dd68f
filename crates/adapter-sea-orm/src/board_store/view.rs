//! A whole board in eight queries, whatever its size: board, its revision, members, labels,
//! columns, open cards, their labels, their assignees.

use std::collections::HashMap;

use board::BoardView;
use kernel::{BoardId, RepoError};
use sea_orm::ConnectionTrait;

use super::boards::{all_members, get_board, revision};
use super::cards::open_cards;
use super::columns::all_columns;
use super::labels::all_labels;

pub(super) async fn get_board_view<C: ConnectionTrait>(conn: &C, id: BoardId) -> Result<BoardView, RepoError> {
    let board = get_board(conn, id, false).await?;
    let revision = revision(conn, id).await?;
    let members = all_members(conn, id).await?;
    let labels = all_labels(conn, id).await?;
    let columns = all_columns(conn, id).await?;
    let mut cards = open_cards(conn, id).await?;
    // Board order: by the column's position, then by rank within it (ties by id).
    let position: HashMap<_, _> = columns.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    cards.sort_by(|a, b| {
        let column = |c: &board::Card| position.get(&c.column_id).copied().unwrap_or(usize::MAX);
        (column(a), &a.rank, a.id).cmp(&(column(b), &b.rank, b.id))
    });
    Ok(BoardView { board, revision, members, labels, columns, cards })
}
