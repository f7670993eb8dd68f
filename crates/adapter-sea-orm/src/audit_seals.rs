//! [`audit::AuditSeals`] on the `audit_seals` table and the seal columns of `audit_events`
//! (decision 0045).

use audit::seal::{EventCounts, Seal, SealedEvent, StoredSeal};
use audit::{AuditEvent, AuditSeals, Digest, SealTx};
use kernel::RepoError;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, Set, Statement, TransactionTrait as _, Value,
};
use uuid::Uuid;

use crate::Db;
use crate::audit_log::from_row;
use crate::entity::{audit_event, audit_seal};
use crate::error::RepoResult as _;

/// An arbitrary constant that names "sealing the audit log" among PostgreSQL's advisory locks.
const SEALING_LOCK: i64 = 428_173_902;

/// Events marked sealed per statement: two parameters each. Every marking statement has
/// exactly this many (a shorter chunk repeats its last event), so that the drivers prepare and
/// cache one statement text: a text per chunk length had left up to a hundred large prepared
/// statements in the SQLite writer's statement cache (anonymous memory of an idle server after
/// seeding: 16.8 MiB with them, 13.7 MiB without, in two benchmark runs).
const MARKS_PER_STATEMENT: usize = 100;

/// The audit log's seals in SQL.
#[derive(Debug, Clone)]
pub struct SeaAuditSeals {
    db: Db,
}

impl SeaAuditSeals {
    /// Seals on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// One sealing transaction.
#[derive(Debug)]
pub struct SeaSealTx {
    txn: DatabaseTransaction,
}

fn stored(row: audit_seal::Model) -> StoredSeal {
    StoredSeal {
        seq: row.seq,
        prev_hash: row.prev_hash,
        sealed_at: row.sealed_at,
        event_count: row.event_count,
        hash: row.hash,
    }
}

#[async_trait::async_trait]
impl AuditSeals for SeaAuditSeals {
    async fn begin_sealing(&self) -> Result<Box<dyn SealTx>, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        // One sealer at a time across instances; SQLite's single writing connection is one
        // already. Event writers never take this lock.
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({SEALING_LOCK})")).await.repo()?;
        }
        Ok(Box::new(SeaSealTx { txn }))
    }

    async fn seals(&self, after: i64, limit: u64) -> Result<Vec<StoredSeal>, RepoError> {
        let rows = audit_seal::Entity::find()
            .filter(audit_seal::Column::Seq.gt(after))
            .order_by_asc(audit_seal::Column::Seq)
            .limit(limit)
            .all(self.db.reads())
            .await
            .repo()?;
        Ok(rows.into_iter().map(stored).collect())
    }

    async fn sealed_events(&self, first: i64, last: i64) -> Result<Vec<SealedEvent>, RepoError> {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::SealSeq.between(first, last))
            .order_by_asc(audit_event::Column::SealSeq)
            .order_by_asc(audit_event::Column::Seq)
            .all(self.db.reads())
            .await
            .repo()?;
        Ok(rows
            .into_iter()
            .map(|mut row| SealedEvent {
                seal_seq: row.seal_seq.unwrap_or_default(),
                digest: row.digest.take().unwrap_or_default(),
                event: from_row(row),
            })
            .collect())
    }

    async fn prune(&self, through: i64) -> Result<u64, RepoError> {
        let txn = self.db.conn().begin().await.repo()?;
        let removed = audit_event::Entity::delete_many()
            .filter(audit_event::Column::SealSeq.lte(through))
            .exec(&txn)
            .await
            .repo()?
            .rows_affected;
        audit_seal::Entity::delete_many().filter(audit_seal::Column::Seq.lte(through)).exec(&txn).await.repo()?;
        txn.commit().await.repo()?;
        Ok(removed)
    }

    async fn event_counts(&self, first: i64, last: i64) -> Result<EventCounts, RepoError> {
        use audit_event::Column as C;
        let conn = self.db.reads();
        let unsealed = audit_event::Entity::find().filter(C::SealSeq.is_null()).count(conn).await.repo()?;
        let outside = audit_event::Entity::find()
            .filter(C::SealSeq.is_not_null())
            .filter(C::SealSeq.lt(first).or(C::SealSeq.gt(last)))
            .count(conn)
            .await
            .repo()?;
        Ok(EventCounts { unsealed, outside })
    }
}

#[async_trait::async_trait]
impl SealTx for SeaSealTx {
    async fn head(&self) -> Result<Option<StoredSeal>, RepoError> {
        let row = audit_seal::Entity::find().order_by_desc(audit_seal::Column::Seq).one(&self.txn).await.repo()?;
        Ok(row.map(stored))
    }

    async fn unsealed(&self, limit: u64) -> Result<Vec<AuditEvent>, RepoError> {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::SealSeq.is_null())
            .order_by_asc(audit_event::Column::Seq)
            .limit(limit)
            .all(&self.txn)
            .await
            .repo()?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    async fn seal(&self, seal: &Seal, events: &[(Uuid, Digest)]) -> Result<(), RepoError> {
        let header = &seal.header;
        let row = audit_seal::ActiveModel {
            seq: Set(header.seq),
            prev_hash: Set(header.prev_hash.to_hex()),
            sealed_at: Set(header.sealed_at),
            event_count: Set(i64::try_from(seal.event_count).unwrap_or(i64::MAX)),
            hash: Set(seal.hash.to_hex()),
        };
        audit_seal::Entity::insert(row).exec_without_returning(&self.txn).await.repo()?;
        for chunk in events.chunks(MARKS_PER_STATEMENT) {
            let marked =
                self.txn.execute(mark_sealed(self.txn.get_database_backend(), header.seq, chunk)).await.repo()?;
            if marked.rows_affected() != chunk.len() as u64 {
                return Err(RepoError::Conflict("an event was sealed by another sealing".into()));
            }
        }
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.txn.commit().await.repo()
    }
}

/// `UPDATE audit_events SET seal_seq = $1, digest = CASE id WHEN $2 THEN $3 … END WHERE
/// seal_seq IS NULL AND id IN ($2, …)` for [`MARKS_PER_STATEMENT`] events: one statement marks a
/// chunk of events, each with its own digest, and only if nothing sealed them meanwhile.
static MARK_SEALED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use std::fmt::Write as _;
    let (mut cases, mut ids) = (String::new(), String::new());
    for i in 0..MARKS_PER_STATEMENT {
        let (id_param, digest_param) = (2 * i + 2, 2 * i + 3);
        let _ = write!(cases, " WHEN ${id_param} THEN ${digest_param}");
        let _ = write!(ids, "{}${id_param}", if i == 0 { "" } else { ", " });
    }
    format!(
        "UPDATE audit_events SET seal_seq = $1, digest = CASE id{cases} END WHERE seal_seq IS NULL AND id IN ({ids})"
    )
});

/// [`MARK_SEALED`] for `events` (1 to [`MARKS_PER_STATEMENT`]), the last one repeated to fill it.
fn mark_sealed(backend: DatabaseBackend, seq: i64, events: &[(Uuid, Digest)]) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(1 + 2 * MARKS_PER_STATEMENT);
    values.push(seq.into());
    let last = events.last().into_iter().cycle();
    for (id, digest) in events.iter().chain(last).take(MARKS_PER_STATEMENT) {
        values.push((*id).into());
        values.push(digest.to_hex().into());
    }
    Statement::from_sql_and_values(backend, MARK_SEALED.as_str(), values)
}
