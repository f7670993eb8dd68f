//! Neighbour ranks and rebalancing, for columns among a board's and cards among a column's.

use board::{Rank, Siblings};
use kernel::RepoError;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::convert::rank;
use crate::entity::{board_column, card};
use crate::error::RepoResult;

/// Which way to look from a bound.
#[derive(Clone, Copy)]
pub(super) enum Side {
    /// The greatest rank below the bound.
    Below,
    /// The least rank above the bound.
    Above,
}

/// The nearest rank on `side` of `bound` (`None`: the last rank), ignoring `excluding`.
pub(super) async fn neighbour<C: ConnectionTrait>(
    conn: &C,
    siblings: Siblings,
    bound: Option<&Rank>,
    side: Side,
    excluding: Uuid,
) -> Result<Option<Rank>, RepoError> {
    let found: Option<String> = match siblings {
        Siblings::Columns(board) => {
            let query = board_column::Entity::find()
                .filter(board_column::Column::BoardId.eq(board.as_uuid()))
                .filter(board_column::Column::Id.ne(excluding));
            nearest(query, board_column::Column::Rank, bound, side).one(conn).await.repo()?
        }
        Siblings::Cards(column) => {
            let query = card::Entity::find()
                .filter(card::Column::ColumnId.eq(column.as_uuid()))
                .filter(card::Column::Id.ne(excluding));
            nearest(query, card::Column::Rank, bound, side).one(conn).await.repo()?
        }
    };
    found.as_deref().map(rank).transpose()
}

fn nearest<E: EntityTrait, R: ColumnTrait>(
    query: Select<E>,
    rank_column: R,
    bound: Option<&Rank>,
    side: Side,
) -> sea_orm::Selector<sea_orm::SelectGetableTuple<String>> {
    let query = query.select_only().column(rank_column).limit(1);
    let query = match (side, bound) {
        (Side::Below, Some(bound)) => query.filter(rank_column.lt(bound.as_str())).order_by_desc(rank_column),
        (Side::Below, None) => query.order_by_desc(rank_column),
        (Side::Above, Some(bound)) => query.filter(rank_column.gt(bound.as_str())).order_by_asc(rank_column),
        (Side::Above, None) => query.order_by_asc(rank_column),
    };
    query.into_tuple()
}

/// Every sibling's id and rank, in order.
pub(super) async fn sibling_ranks<C: ConnectionTrait>(
    conn: &C,
    siblings: Siblings,
) -> Result<Vec<(Uuid, Rank)>, RepoError> {
    let rows: Vec<(Uuid, String)> = match siblings {
        Siblings::Columns(board) => {
            board_column::Entity::find()
                .select_only()
                .columns([board_column::Column::Id, board_column::Column::Rank])
                .filter(board_column::Column::BoardId.eq(board.as_uuid()))
                .order_by_asc(board_column::Column::Rank)
                .order_by_asc(board_column::Column::Id)
                .into_tuple()
                .all(conn)
                .await
        }
        Siblings::Cards(column) => {
            card::Entity::find()
                .select_only()
                .columns([card::Column::Id, card::Column::Rank])
                .filter(card::Column::ColumnId.eq(column.as_uuid()))
                .order_by_asc(card::Column::Rank)
                .order_by_asc(card::Column::Id)
                .into_tuple()
                .all(conn)
                .await
        }
    }
    .repo()?;
    rows.into_iter().map(|(id, r)| Ok((id, rank(&r)?))).collect()
}

/// Rewrites ranks without touching versions: one statement per row, which is fine for a
/// rebalance that happens once in hundreds of moves.
pub(super) async fn set_ranks<C: ConnectionTrait>(
    conn: &C,
    siblings: Siblings,
    ranks: Vec<(Uuid, Rank)>,
) -> Result<(), RepoError> {
    for (id, new_rank) in ranks {
        let value = Expr::value(new_rank.as_str());
        match siblings {
            Siblings::Columns(board) => {
                board_column::Entity::update_many()
                    .col_expr(board_column::Column::Rank, value)
                    .filter(board_column::Column::Id.eq(id))
                    .filter(board_column::Column::BoardId.eq(board.as_uuid()))
                    .exec(conn)
                    .await
            }
            Siblings::Cards(column) => {
                card::Entity::update_many()
                    .col_expr(card::Column::Rank, value)
                    .filter(card::Column::Id.eq(id))
                    .filter(card::Column::ColumnId.eq(column.as_uuid()))
                    .exec(conn)
                    .await
            }
        }
        .repo()?;
    }
    Ok(())
}
