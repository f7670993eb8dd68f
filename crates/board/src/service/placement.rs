//! Choosing a rank for an item placed among its siblings, rebalancing them when keys grow long.

use uuid::Uuid;

use crate::error::BoardError;
use crate::ports::{BoardTx, Siblings};
use crate::rank::Rank;

/// Where an item goes, by the siblings the client named (id and current rank).
#[derive(Debug, Default)]
pub(super) struct Anchors {
    /// The sibling the item is placed in front of.
    pub(super) before: Option<(Uuid, Rank)>,
    /// The sibling the item is placed behind.
    pub(super) after: Option<(Uuid, Rank)>,
}

impl Anchors {
    /// Last among the siblings.
    pub(super) fn end() -> Self {
        Self::default()
    }
}

/// A rank for `moving` among `siblings` at `anchors`. Normally this reads one or two neighbour
/// ranks and writes nothing; when the new key would be too long (or the neighbours share a
/// key), every sibling gets an evenly spread key through [`BoardTx::set_ranks`] first.
pub(super) async fn place(
    tx: &dyn BoardTx,
    siblings: Siblings,
    moving: Uuid,
    anchors: &Anchors,
) -> Result<Rank, BoardError> {
    let (lo, hi) = match (&anchors.after, &anchors.before) {
        (Some((_, after)), Some((_, before))) => {
            if after >= before {
                return Err(BoardError::invalid("after_id", "must come before the sibling named by before_id"));
            }
            (Some(after.clone()), Some(before.clone()))
        }
        (Some((_, after)), None) => (Some(after.clone()), tx.rank_after(siblings, after.clone(), moving).await?),
        (None, Some((_, before))) => {
            (tx.rank_before(siblings, Some(before.clone()), moving).await?, Some(before.clone()))
        }
        (None, None) => (tx.rank_before(siblings, None, moving).await?, None),
    };
    let rank = Rank::between(lo.as_ref(), hi.as_ref());
    if rank.fits_between(lo.as_ref(), hi.as_ref()) {
        return Ok(rank);
    }
    rebalance(tx, siblings, moving, anchors).await
}

/// Spreads the siblings evenly with `moving` at its new place; returns `moving`'s rank.
async fn rebalance(tx: &dyn BoardTx, siblings: Siblings, moving: Uuid, anchors: &Anchors) -> Result<Rank, BoardError> {
    tracing::debug!(?siblings, "rebalancing ranks");
    let current: Vec<(Uuid, Rank)> =
        tx.sibling_ranks(siblings).await?.into_iter().filter(|(id, _)| *id != moving).collect();
    let index_of = |wanted: Uuid| current.iter().position(|(id, _)| *id == wanted);
    let at = match (&anchors.after, &anchors.before) {
        (Some((after, _)), _) => index_of(*after).map(|i| i + 1),
        (None, Some((before, _))) => index_of(*before),
        (None, None) => Some(current.len()),
    }
    .ok_or_else(|| BoardError::Conflict("the sibling to place next to was moved concurrently; retry".into()))?;

    let mut order: Vec<(Uuid, Option<&Rank>)> = current.iter().map(|(id, rank)| (*id, Some(rank))).collect();
    order.insert(at, (moving, None));
    let mut placed = None;
    let mut writes = Vec::new();
    for ((id, old), new) in order.into_iter().zip(Rank::spread(current.len() + 1)) {
        if id == moving {
            placed = Some(new);
        } else if old != Some(&new) {
            writes.push((id, new));
        }
    }
    tx.set_ranks(siblings, writes).await?;
    placed.ok_or_else(|| BoardError::Unexpected(anyhow::anyhow!("spread produced fewer keys than siblings")))
}

#[cfg(test)]
mod tests {
    use kernel::ColumnId;

    use super::*;
    use crate::ports::MockBoardTx;

    fn rank(s: &str) -> Rank {
        Rank::parse(s).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    const COLUMN: Siblings = Siblings::Cards(ColumnId::from_uuid(Uuid::from_u128(0xC0)));

    #[tokio::test]
    async fn placing_at_the_end_reads_the_last_rank_and_writes_nothing() {
        let mut tx = MockBoardTx::new();
        tx.expect_rank_before().withf(|_, bound, _| bound.is_none()).times(1).returning(|_, _, _| Ok(Some(rank("V"))));
        tx.expect_set_ranks().never();
        let placed = place(&tx, COLUMN, id(1), &Anchors::end()).await.unwrap();
        assert_eq!(placed, rank("W"));
    }

    #[tokio::test]
    async fn placing_in_front_of_a_sibling_lands_between_it_and_its_predecessor() {
        let mut tx = MockBoardTx::new();
        tx.expect_rank_before().times(1).returning(|_, _, _| Ok(Some(rank("A"))));
        let anchors = Anchors { before: Some((id(2), rank("C"))), after: None };
        let placed = place(&tx, COLUMN, id(1), &anchors).await.unwrap();
        assert!(rank("A") < placed && placed < rank("C"));
    }

    #[tokio::test]
    async fn anchors_in_the_wrong_order_are_invalid() {
        let tx = MockBoardTx::new();
        let anchors = Anchors { before: Some((id(2), rank("A"))), after: Some((id(3), rank("C"))) };
        let err = place(&tx, COLUMN, id(1), &anchors).await.unwrap_err();
        assert!(matches!(err, BoardError::Invalid { field: "after_id", .. }));
    }

    #[tokio::test]
    async fn a_key_that_would_grow_too_long_rebalances_the_siblings() {
        let lo = rank(&"V".repeat(Rank::REBALANCE_LEN));
        let hi = rank(&format!("{}W", "V".repeat(Rank::REBALANCE_LEN - 1)));
        let mut tx = MockBoardTx::new();
        let siblings = vec![(id(10), lo.clone()), (id(11), hi.clone()), (id(12), rank("x"))];
        tx.expect_sibling_ranks().times(1).return_once(move |_| Ok(siblings));
        tx.expect_set_ranks()
            .times(1)
            .withf(|_, writes| {
                let ids: Vec<Uuid> = writes.iter().map(|(i, _)| *i).collect();
                ids == [id(10), id(11), id(12)] && writes.iter().all(|(_, r)| r.as_str().len() <= 2)
            })
            .returning(|_, _| Ok(()));
        let anchors = Anchors { before: Some((id(11), hi)), after: Some((id(10), lo)) };
        let placed = place(&tx, COLUMN, id(1), &anchors).await.unwrap();
        let spread = Rank::spread(4);
        assert_eq!(placed, spread[1], "the moved item lands second, between its anchors");
    }
}
