//! Moving a card within its column or to another column of the board.

use kernel::{Caller, CardId, Changes, Version};

use super::cards::{check_wip, column_of_board};
use super::placement::{Anchors, place};
use super::{BoardService, Subject, check_version, role_in};
use crate::error::BoardError;
use crate::model::{BoardRole, Card, CardMove};
use crate::ports::{BoardTx, Siblings};
use crate::rank::Rank;

impl BoardService {
    /// Moves a card (editors and owners): in front of `before_id`, behind `after_id`, or last
    /// in `column_id`. Entering another column counts against its WIP limit (archived cards
    /// do not count). Writes the card's row only, unless the column's keys need a rebalance.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%card_id, column_id = %to.column_id), err(level = "debug"))]
    pub async fn move_card(
        &self,
        caller: &Caller,
        card_id: CardId,
        to: CardMove,
        expected: Option<Version>,
    ) -> Result<Card, BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_card(card_id).await?;
        role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        check_version(current.version, expected)?;
        // Locked even within the same column: it serialises rank choices among its cards.
        let column = column_of_board(&*tx, current.board_id, to.column_id, "column_id").await?;
        if column.id != current.column_id && !current.archived {
            check_wip(&*tx, &column).await?;
        }
        let anchors = Anchors {
            before: card_anchor(&*tx, &current, &to, "before_id", to.before_id).await?,
            after: card_anchor(&*tx, &current, &to, "after_id", to.after_id).await?,
        };
        let rank = place(&*tx, Siblings::Cards(column.id), card_id.as_uuid(), &anchors).await?;
        let next = Card {
            column_id: column.id,
            rank,
            version: current.version.next(),
            updated_at: self.now(),
            ..current.clone()
        };
        tx.update_card(&next, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("column_id", current.column_id.to_string(), next.column_id.to_string()).diff(
            "rank",
            current.rank.as_str(),
            next.rank.as_str(),
        );
        self.finish(tx, caller, "card.moved", Subject::card(&next), changes).await?;
        Ok(next)
    }
}

/// Resolves a sibling named in a move: another card of the destination column.
async fn card_anchor(
    tx: &dyn BoardTx,
    moving: &Card,
    to: &CardMove,
    field: &'static str,
    id: Option<CardId>,
) -> Result<Option<(uuid::Uuid, Rank)>, BoardError> {
    let Some(id) = id else { return Ok(None) };
    if id == moving.id {
        return Err(BoardError::invalid(field, "a card cannot be placed next to itself"));
    }
    match tx.get_card(id).await {
        Ok(card) if card.column_id == to.column_id => Ok(Some((id.as_uuid(), card.rank))),
        Ok(_) | Err(kernel::RepoError::NotFound) => {
            Err(BoardError::invalid(field, "no such card in the destination column"))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use kernel::{CardId, RepoError, Version};
    use uuid::Uuid;

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::CardMove;
    use crate::ports::MockBoardTx;
    use crate::rank::Rank;

    const NEIGHBOUR: CardId = CardId::from_uuid(Uuid::from_u128(0xD2));

    fn to(column_id: kernel::ColumnId, before_id: Option<CardId>, after_id: Option<CardId>) -> CardMove {
        CardMove { column_id, before_id, after_id }
    }

    /// `CARD` sits at "V" in `COLUMN`; `NEIGHBOUR` sits at `neighbour_rank` in `OTHER_COLUMN`.
    fn tx_for_move(wip: Option<u32>, neighbour_rank: &'static str) -> MockBoardTx {
        let mut tx = tx();
        tx.expect_get_card().returning(move |id| {
            Ok(if id == CARD { card(CARD, COLUMN, "V") } else { card(id, OTHER_COLUMN, neighbour_rank) })
        });
        tx.expect_lock_column().returning(move |id| Ok(column(id, wip)));
        tx
    }

    #[tokio::test]
    async fn moving_in_front_of_a_sibling_writes_only_the_card_row() {
        let mut tx = tx_for_move(None, "k");
        tx.expect_count_cards().never();
        tx.expect_rank_before()
            .withf(|_, bound, excluding| *bound == Some(rank("k")) && *excluding == CARD.as_uuid())
            .returning(|_, _, _| Ok(Some(rank("a"))));
        tx.expect_set_ranks().never();
        tx.expect_set_card_labels().never();
        tx.expect_set_card_assignees().never();
        tx.expect_update_card()
            .times(1)
            .withf(|c, v| {
                c.column_id == OTHER_COLUMN && rank("a") < c.rank && c.rank < rank("k") && *v == Version::new(5)
            })
            .returning(|_, _| Ok(()));
        expect_event(&mut tx, "card.moved");
        let moved = service_with(tx)
            .move_card(&caller(EDITOR), CARD, to(OTHER_COLUMN, Some(NEIGHBOUR), None), None)
            .await
            .unwrap();
        assert_eq!(moved.version, Version::new(6));
    }

    #[tokio::test]
    async fn moving_behind_a_sibling_lands_between_it_and_its_successor() {
        let mut tx = tx_for_move(None, "k");
        tx.expect_rank_after().withf(|_, bound, _| *bound == rank("k")).returning(|_, _, _| Ok(None));
        tx.expect_update_card().times(1).withf(|c, _| c.rank > rank("k")).returning(|_, _| Ok(()));
        expect_event(&mut tx, "card.moved");
        service_with(tx).move_card(&caller(EDITOR), CARD, to(OTHER_COLUMN, None, Some(NEIGHBOUR)), None).await.unwrap();
    }

    #[tokio::test]
    async fn moving_into_a_full_column_is_refused() {
        let mut tx = tx_for_move(Some(4), "k");
        tx.expect_count_cards().withf(|c, archived| *c == OTHER_COLUMN && !archived).returning(|_, _| Ok(4));
        tx.expect_update_card().never();
        expect_rollback(&mut tx);
        let err =
            service_with(tx).move_card(&caller(EDITOR), CARD, to(OTHER_COLUMN, None, None), None).await.unwrap_err();
        assert!(matches!(err, BoardError::WipLimitExceeded { limit: 4, .. }));
    }

    #[tokio::test]
    async fn reordering_within_a_full_column_is_allowed() {
        let mut tx = tx_for_move(Some(1), "k");
        tx.expect_count_cards().never();
        tx.expect_rank_before().returning(|_, _, _| Ok(Some(rank("c"))));
        tx.expect_update_card().times(1).returning(|_, _| Ok(()));
        expect_event(&mut tx, "card.moved");
        service_with(tx).move_card(&caller(EDITOR), CARD, to(COLUMN, None, None), None).await.unwrap();
    }

    #[tokio::test]
    async fn a_sibling_from_another_column_is_invalid() {
        let mut tx = tx_for_move(None, "k");
        tx.expect_update_card().never();
        expect_rollback(&mut tx);
        let err = service_with(tx)
            .move_card(&caller(EDITOR), CARD, to(COLUMN, Some(NEIGHBOUR), None), None)
            .await
            .unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "before_id", .. }));
    }

    #[tokio::test]
    async fn a_move_between_crowded_keys_rebalances_the_column() {
        let long = "V".repeat(Rank::REBALANCE_LEN);
        let neighbour_rank: &'static str = Box::leak(format!("{long}1").into_boxed_str());
        let mut tx = tx_for_move(None, neighbour_rank);
        let lo = rank(&long);
        tx.expect_rank_before().returning(move |_, _, _| Ok(Some(lo.clone())));
        let (lo_id, hi_id) = (Uuid::from_u128(0xD9), NEIGHBOUR.as_uuid());
        let siblings = vec![(lo_id, rank(&long)), (hi_id, rank(neighbour_rank))];
        tx.expect_sibling_ranks().times(1).return_once(move |_| Ok(siblings));
        tx.expect_set_ranks().times(1).withf(move |_, writes| writes.len() == 2).returning(|_, _| Ok(()));
        tx.expect_update_card().times(1).withf(|c, _| !c.rank.is_too_long()).returning(|_, _| Ok(()));
        expect_event(&mut tx, "card.moved");
        let moved = service_with(tx)
            .move_card(&caller(EDITOR), CARD, to(OTHER_COLUMN, Some(NEIGHBOUR), None), None)
            .await
            .unwrap();
        assert_eq!(moved.rank, Rank::spread(3)[1]);
    }

    #[tokio::test]
    async fn strangers_moving_a_card_get_not_found() {
        let mut tx = tx_for_move(None, "k");
        expect_rollback(&mut tx);
        let err = service_with(tx).move_card(&caller(STRANGER), CARD, to(COLUMN, None, None), None).await.unwrap_err();
        assert!(matches!(err, BoardError::NotFound));
    }

    #[tokio::test]
    async fn a_concurrent_move_without_an_expected_version_is_a_retryable_conflict() {
        let mut tx = tx_for_move(None, "k");
        tx.expect_rank_before().returning(|_, _, _| Ok(None));
        tx.expect_update_card().returning(|_, _| Err(RepoError::Conflict("stale".into())));
        expect_rollback(&mut tx);
        let err = service_with(tx).move_card(&caller(EDITOR), CARD, to(COLUMN, None, None), None).await.unwrap_err();
        assert!(matches!(err, BoardError::Conflict(_)));
    }
}
