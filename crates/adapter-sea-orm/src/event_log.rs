//! [`connector::EventLog`] on the `audit_events` table: the sealed events, in seal order, then
//! log order (decision 0047). The audit log and the outbox hold the same events under the same
//! ids; the log is where each has its place in the order seals were made, which is commit
//! order, and it is read through the partial index `audit_events_sealed (seal_seq, seq)`.

use audit::Visibility;
use connector::{EventLog, FeedEvent, FeedPosition, SealSpan, Viewer};
use kernel::{BoardId, RepoError, UserId};
use sea_orm::{ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _};

use crate::Db;
use crate::audit_log::visible;
use crate::entity::{audit_event, audit_seal};
use crate::error::RepoResult as _;

/// The event log in SQL.
#[derive(Debug, Clone)]
pub struct SeaEventLog {
    db: Db,
}

impl SeaEventLog {
    /// A log on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A position as stored (both columns are `BIGINT`); past the largest, nothing follows.
fn stored(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl EventLog for SeaEventLog {
    async fn after(
        &self,
        viewer: Viewer,
        after: Option<FeedPosition>,
        limit: u32,
    ) -> Result<Vec<FeedEvent>, RepoError> {
        use audit_event::Column as C;
        let visibility = match viewer {
            Viewer::All => Visibility::All,
            Viewer::MemberOf(user) => Visibility::MemberOf(user),
        };
        let mut query = audit_event::Entity::find()
            .filter(C::SealSeq.is_not_null())
            .filter(visible(visibility))
            .order_by_asc(C::SealSeq)
            .order_by_asc(C::Seq)
            .limit(u64::from(limit));
        if let Some(at) = after {
            let (seal, seq) = (stored(at.seal), stored(at.seq));
            query = query.filter(
                Condition::any()
                    .add(C::SealSeq.gt(seal))
                    .add(Condition::all().add(C::SealSeq.eq(seal)).add(C::Seq.gt(seq))),
            );
        }
        let rows = query.all(self.db.reads()).await.repo()?;
        rows.into_iter()
            .map(|row| {
                let seal = row.seal_seq.ok_or_else(|| RepoError::Unexpected(anyhow::anyhow!("an unsealed event")))?;
                Ok(FeedEvent {
                    position: FeedPosition { seal: seal.unsigned_abs(), seq: row.seq.unsigned_abs() },
                    id: row.id,
                    occurred_at: row.occurred_at,
                    actor_id: row.actor_id.map(UserId::from_uuid),
                    action: row.action,
                    resource_type: row.resource_type,
                    resource_id: row.resource_id,
                    board_id: row.board_id.map(BoardId::from_uuid),
                    changes: row.changes,
                })
            })
            .collect()
    }

    async fn seals(&self) -> Result<Option<SealSpan>, RepoError> {
        use sea_orm::sea_query::Expr;
        let seq = || Expr::col(audit_seal::Column::Seq);
        let span: Option<(Option<i64>, Option<i64>)> = audit_seal::Entity::find()
            .select_only()
            .column_as(seq().min(), "oldest")
            .column_as(seq().max(), "newest")
            .into_tuple()
            .one(self.db.reads())
            .await
            .repo()?;
        Ok(match span {
            Some((Some(oldest), Some(newest))) => {
                Some(SealSpan { oldest: oldest.unsigned_abs(), newest: newest.unsigned_abs() })
            }
            _ => None,
        })
    }
}
