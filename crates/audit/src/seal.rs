//! Sealing the log in hash-chained batches, and checking the chain (decision 0045).

use std::sync::Arc;

use chrono::{DateTime, SubsecRound as _, Utc};
use kernel::{Clock, RepoError};
use uuid::Uuid;

use crate::chain::{Digest, SealHeader, event_digest, seal_hash};
use crate::error::AuditError;
use crate::model::AuditEvent;
use crate::ports::AuditSeals;

/// A seal: its header, how many events it covers and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Number, previous hash, time.
    pub header: SealHeader,
    /// How many events it covers.
    pub event_count: u64,
    /// [`seal_hash`] of the header and the events.
    pub hash: Digest,
}

/// A seal as read back: its hashes as stored text, which a check must parse and may find
/// altered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSeal {
    /// The seal's number.
    pub seq: i64,
    /// The previous seal's hash, as stored.
    pub prev_hash: String,
    /// When it was sealed.
    pub sealed_at: DateTime<Utc>,
    /// How many events it says it covers.
    pub event_count: i64,
    /// Its hash, as stored.
    pub hash: String,
}

/// A sealed event as read back, with the digest stored for it when it was sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedEvent {
    /// The seal that covers it.
    pub seal_seq: i64,
    /// The event's digest, as stored.
    pub digest: String,
    /// The event.
    pub event: AuditEvent,
}

/// Events that no seal checked so far accounts for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Events not sealed yet.
    pub unsealed: u64,
    /// Events that name a seal outside the checked range (its row is gone).
    pub outside: u64,
}

/// What one round of sealing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealReport {
    /// Events sealed.
    pub sealed: u64,
    /// The new seal's number, when one was written.
    pub seq: Option<i64>,
}

impl SealReport {
    /// Whether the round used its whole batch (more may be waiting).
    pub fn filled(&self, batch_size: u64) -> bool {
        self.sealed >= batch_size
    }
}

/// Seals the events written since the last seal. Writers never wait for it: events are
/// appended without a hash, and sealing takes them afterwards, one batch at a time.
pub struct Sealer {
    seals: Arc<dyn AuditSeals>,
    clock: Arc<dyn Clock>,
    batch_size: u64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").field("batch_size", &self.batch_size).finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer that seals up to `batch_size` events per seal.
    pub fn new(seals: Arc<dyn AuditSeals>, clock: Arc<dyn Clock>, batch_size: u64) -> Self {
        Self { seals, clock, batch_size: batch_size.max(1) }
    }

    /// Events per seal, at most.
    pub fn batch_size(&self) -> u64 {
        self.batch_size
    }

    /// Seals the oldest unsealed events (up to the batch size) under one new seal chained to
    /// the newest one, in one transaction; does nothing when every event is sealed.
    #[tracing::instrument(level = "debug", skip_all, err(level = "warn"))]
    pub async fn seal_pending(&self) -> Result<SealReport, AuditError> {
        let tx = self.seals.begin_sealing().await?;
        let head = tx.head().await?;
        let events = tx.unsealed(self.batch_size).await?;
        if events.is_empty() {
            return Ok(SealReport::default());
        }
        let (seq, prev_hash) = match head {
            None => (1, Digest::GENESIS),
            Some(head) => {
                let hash = Digest::from_hex(&head.hash).ok_or_else(|| {
                    AuditError::Unexpected(anyhow::anyhow!(
                        "seal {} has an unreadable hash; the chain cannot be extended",
                        head.seq
                    ))
                })?;
                (head.seq + 1, hash)
            }
        };
        // Stored instants keep microseconds (PostgreSQL); the hash must cover what is stored.
        let header = SealHeader { seq, prev_hash, sealed_at: self.clock.now().trunc_subsecs(6) };
        let digests: Vec<(Uuid, Digest)> = events.iter().map(|e| (e.id, event_digest(e))).collect();
        let seal = Seal { header, event_count: digests.len() as u64, hash: seal_hash(&header, &digests) };
        tx.seal(&seal, &digests).await?;
        tx.commit().await?;
        Ok(SealReport { sealed: seal.event_count, seq: Some(seq) })
    }

    /// Removes the oldest seals sealed before `retention` ago, with their events: whole seals,
    /// oldest first, at most [`PRUNE_SEALS`] per call, never the newest seal (the chain goes on
    /// from it). The oldest remaining seal then anchors the check. Returns the events removed.
    #[tracing::instrument(level = "debug", skip_all, err(level = "warn"))]
    pub async fn prune(&self, retention: chrono::Duration) -> Result<u64, AuditError> {
        let cutoff = self.clock.now() - retention;
        let oldest = self.seals.seals(0, PRUNE_SEALS).await?;
        let Some(mut through) = oldest.iter().take_while(|s| s.sealed_at < cutoff).map(|s| s.seq).last() else {
            return Ok(0);
        };
        if self.seals.seals(through, 1).await?.is_empty() {
            through -= 1;
        }
        if oldest.first().is_none_or(|first| through < first.seq) {
            return Ok(0);
        }
        let removed = self.seals.prune(through).await?;
        tracing::info!(through_seal = through, events = removed, "audit events past the retention window removed");
        Ok(removed)
    }
}

/// Seals removed per call of [`Sealer::prune`], at most.
pub const PRUNE_SEALS: u64 = 100;

/// How a check of the chain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Seals checked.
    pub seals: u64,
    /// Events checked (those the checked seals cover).
    pub sealed_events: u64,
    /// Events written since the newest seal, not covered by the check yet.
    pub unsealed_events: u64,
    /// The oldest seal checked; above 1 when older seals were removed by retention.
    pub first_seq: Option<i64>,
    /// The newest seal checked: record its hash elsewhere to detect a rewrite of the whole log
    /// later.
    pub head: Option<Seal>,
    /// Where the chain breaks; `None` when it is intact.
    pub first_break: Option<Break>,
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The seal at which the check failed.
    pub seal_seq: i64,
    /// The event whose contents changed, when one is to blame.
    pub event_id: Option<Uuid>,
    /// What was found.
    pub kind: BreakKind,
}

/// What a check found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// An event's contents no longer match the digest taken when it was sealed.
    EventAltered,
    /// A seal's events were added, removed or reordered, or the seal itself was edited.
    SealAltered,
    /// A seal is missing, or does not name its predecessor's hash.
    ChainBroken,
    /// Events name a seal that does not exist.
    OrphanedEvents,
}

impl BreakKind {
    /// The stable name shown to API clients.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventAltered => "event_altered",
            Self::SealAltered => "seal_altered",
            Self::ChainBroken => "chain_broken",
            Self::OrphanedEvents => "orphaned_events",
        }
    }
}

/// Seals read per round trip during a check.
const SEALS_PER_READ: u64 = 100;

/// Events read per round trip during a check, unless one seal alone holds more: consecutive
/// seals are read together up to this many events, so memory stays bounded by it (or by the
/// largest seal), and a log of many small seals does not cost a round trip per seal.
const EVENTS_PER_READ: i64 = 1_000;

/// Splits `seals` into runs of consecutive seals holding at most [`EVENTS_PER_READ`] events
/// between them (by their stored counts), each run at least one seal.
fn runs(seals: &[StoredSeal]) -> Vec<&[StoredSeal]> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut events = 0;
    for (i, seal) in seals.iter().enumerate() {
        let count = seal.event_count.max(0);
        if i > start && events + count > EVENTS_PER_READ {
            runs.push(&seals[start..i]);
            (start, events) = (i, 0);
        }
        events += count;
    }
    if start < seals.len() {
        runs.push(&seals[start..]);
    }
    runs
}

/// Walks every seal from the oldest, recomputing each event's digest and each seal's hash,
/// and stops at the first break.
pub(crate) async fn verify(store: &dyn AuditSeals) -> Result<Verification, RepoError> {
    let mut report =
        Verification { seals: 0, sealed_events: 0, unsealed_events: 0, first_seq: None, head: None, first_break: None };
    loop {
        let after = report.head.as_ref().map_or(0, |head| head.header.seq);
        let seals = store.seals(after, SEALS_PER_READ).await?;
        if seals.is_empty() {
            break;
        }
        for run in runs(&seals) {
            let (first, last) = (run[0].seq, run[run.len() - 1].seq);
            let mut events = store.sealed_events(first, last).await?.into_iter().peekable();
            for stored in run {
                // Events naming a seal missing from the run fall to the next seal, whose
                // number then does not follow its predecessor's: the chain is reported broken.
                let mine: Vec<SealedEvent> =
                    std::iter::from_fn(|| events.next_if(|e| e.seal_seq <= stored.seq)).collect();
                match check_seal(stored, report.head.as_ref(), &mine) {
                    Ok(seal) => {
                        report.first_seq.get_or_insert(stored.seq);
                        report.seals += 1;
                        report.sealed_events += seal.event_count;
                        report.head = Some(seal);
                    }
                    Err(broken) => {
                        report.first_break = Some(broken);
                        return Ok(report);
                    }
                }
            }
        }
    }
    let (first, last) = (report.first_seq.unwrap_or(1), report.head.as_ref().map_or(0, |head| head.header.seq));
    let counts = store.event_counts(first, last).await?;
    report.unsealed_events = counts.unsealed;
    // A seal committed after the walk accounts for events it did not see; only events that
    // name a seal that still does not exist are orphans.
    if counts.outside > 0 && store.seals(last, 1).await?.is_empty() {
        report.first_break = Some(Break { seal_seq: last + 1, event_id: None, kind: BreakKind::OrphanedEvents });
    }
    Ok(report)
}

/// Checks one seal against its predecessor and its events; the seal when intact.
fn check_seal(stored: &StoredSeal, prev: Option<&Seal>, events: &[SealedEvent]) -> Result<Seal, Break> {
    let broken = |kind, event_id| Break { seal_seq: stored.seq, event_id, kind };
    let prev_hash = Digest::from_hex(&stored.prev_hash).ok_or(broken(BreakKind::ChainBroken, None))?;
    match prev {
        // The first seal of the chain starts from nothing; a later first seal (older ones
        // removed by retention) is taken as the anchor.
        None if stored.seq == 1 && prev_hash != Digest::GENESIS => return Err(broken(BreakKind::ChainBroken, None)),
        Some(prev) if stored.seq != prev.header.seq + 1 || prev_hash != prev.hash => {
            return Err(broken(BreakKind::ChainBroken, None));
        }
        _ => {}
    }
    let mut digests = Vec::with_capacity(events.len());
    for sealed in events {
        let digest = Digest::from_hex(&sealed.digest).filter(|d| *d == event_digest(&sealed.event));
        let Some(digest) = digest else { return Err(broken(BreakKind::EventAltered, Some(sealed.event.id))) };
        digests.push((sealed.event.id, digest));
    }
    let header = SealHeader { seq: stored.seq, prev_hash, sealed_at: stored.sealed_at };
    let hash = seal_hash(&header, &digests);
    let count_matches = u64::try_from(stored.event_count).is_ok_and(|n| n == digests.len() as u64);
    if !count_matches || Digest::from_hex(&stored.hash) != Some(hash) {
        return Err(broken(BreakKind::SealAltered, None));
    }
    Ok(Seal { header, event_count: digests.len() as u64, hash })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use kernel::ManualClock;
    use serde_json::json;

    use super::*;
    use crate::ports::{MockAuditSeals, MockSealTx};

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, second).unwrap()
    }

    fn event(n: u128) -> AuditEvent {
        AuditEvent {
            id: Uuid::from_u128(n),
            occurred_at: at(0),
            actor_type: "system".into(),
            actor_id: None,
            token_id: None,
            action: "card.created".into(),
            resource_type: "card".into(),
            resource_id: Uuid::from_u128(1000 + n),
            board_id: None,
            changes: json!({"title": {"before": null, "after": format!("card {n}")}}),
            request_id: None,
            trace_id: None,
            client_ip: None,
            user_agent: None,
        }
    }

    fn sealer(seals: MockAuditSeals) -> Sealer {
        Sealer::new(Arc::new(seals), Arc::new(ManualClock::new(at(30))), 2)
    }

    fn sealing(tx: MockSealTx) -> MockAuditSeals {
        let mut seals = MockAuditSeals::new();
        let mut tx = Some(tx);
        seals.expect_begin_sealing().times(1).returning(move || Ok(Box::new(tx.take().expect("one sealing"))));
        seals
    }

    #[tokio::test]
    async fn nothing_to_seal_writes_nothing() {
        let mut tx = MockSealTx::new();
        tx.expect_head().returning(|| Ok(None));
        tx.expect_unsealed().returning(|_| Ok(vec![]));
        tx.expect_seal().never();
        tx.expect_commit().never();
        assert_eq!(sealer(sealing(tx)).seal_pending().await.unwrap(), SealReport::default());
    }

    #[tokio::test]
    async fn the_first_seal_starts_the_chain_and_covers_a_batch_in_order() {
        let mut tx = MockSealTx::new();
        tx.expect_head().returning(|| Ok(None));
        tx.expect_unsealed().withf(|limit| *limit == 2).returning(|_| Ok(vec![event(1), event(2)]));
        tx.expect_seal()
            .withf(|seal, events| {
                let expected =
                    [(Uuid::from_u128(1), event_digest(&event(1))), (Uuid::from_u128(2), event_digest(&event(2)))];
                let header = SealHeader { seq: 1, prev_hash: Digest::GENESIS, sealed_at: at(30) };
                events == expected
                    && seal.header == header
                    && seal.event_count == 2
                    && seal.hash == seal_hash(&header, &expected)
            })
            .times(1)
            .returning(|_, _| Ok(()));
        tx.expect_commit().times(1).returning(|| Ok(()));
        let report = sealer(sealing(tx)).seal_pending().await.unwrap();
        assert_eq!(report, SealReport { sealed: 2, seq: Some(1) });
        assert!(report.filled(2));
    }

    #[tokio::test]
    async fn a_seal_names_the_previous_seals_hash() {
        let head_hash = Digest::from_hex(&"7f".repeat(32)).unwrap();
        let mut tx = MockSealTx::new();
        tx.expect_head().returning(move || Ok(Some(stored(4, Digest::GENESIS, 1, head_hash))));
        tx.expect_unsealed().returning(|_| Ok(vec![event(9)]));
        tx.expect_seal()
            .withf(move |seal, _| seal.header.seq == 5 && seal.header.prev_hash == head_hash)
            .times(1)
            .returning(|_, _| Ok(()));
        tx.expect_commit().times(1).returning(|| Ok(()));
        assert_eq!(sealer(sealing(tx)).seal_pending().await.unwrap().seq, Some(5));
    }

    #[tokio::test]
    async fn a_head_with_an_unreadable_hash_is_not_extended() {
        let mut tx = MockSealTx::new();
        tx.expect_head().returning(|| {
            Ok(Some(StoredSeal { hash: "not hex".into(), ..stored(4, Digest::GENESIS, 1, Digest::GENESIS) }))
        });
        tx.expect_unsealed().returning(|_| Ok(vec![event(9)]));
        tx.expect_seal().never();
        tx.expect_commit().never();
        assert!(matches!(sealer(sealing(tx)).seal_pending().await, Err(AuditError::Unexpected(_))));
    }

    fn stored(seq: i64, prev: Digest, count: i64, hash: Digest) -> StoredSeal {
        StoredSeal { seq, prev_hash: prev.to_hex(), sealed_at: at(30), event_count: count, hash: hash.to_hex() }
    }

    /// A well-formed chain over `batches` of event numbers from seal 1.
    fn chain(first_seq: i64, batches: &[&[u128]]) -> (Vec<StoredSeal>, Vec<SealedEvent>) {
        chain_from(first_seq, Digest::GENESIS, batches)
    }

    /// A well-formed chain over `batches` of event numbers, from seal `first_seq` naming `prev`.
    fn chain_from(first_seq: i64, mut prev: Digest, batches: &[&[u128]]) -> (Vec<StoredSeal>, Vec<SealedEvent>) {
        let (mut seals, mut events) = (vec![], vec![]);
        for (seq, batch) in (first_seq..).zip(batches) {
            let digests: Vec<_> = batch.iter().map(|n| (Uuid::from_u128(*n), event_digest(&event(*n)))).collect();
            let header = SealHeader { seq, prev_hash: prev, sealed_at: at(30) };
            let hash = seal_hash(&header, &digests);
            seals.push(stored(seq, prev, i64::try_from(digests.len()).unwrap(), hash));
            events.extend(batch.iter().zip(&digests).map(|(n, (_, d))| SealedEvent {
                seal_seq: seq,
                digest: d.to_hex(),
                event: event(*n),
            }));
            prev = hash;
        }
        (seals, events)
    }

    fn store(seals: Vec<StoredSeal>, events: Vec<SealedEvent>, counts: EventCounts) -> MockAuditSeals {
        let mut store = MockAuditSeals::new();
        store.expect_seals().returning(move |after, limit| {
            Ok(seals.iter().filter(|s| s.seq > after).take(usize::try_from(limit).unwrap()).cloned().collect())
        });
        store.expect_sealed_events().returning(move |first, last| {
            Ok(events.iter().filter(|e| (first..=last).contains(&e.seal_seq)).cloned().collect())
        });
        store.expect_event_counts().returning(move |_, _| Ok(counts));
        store
    }

    async fn check(seals: Vec<StoredSeal>, events: Vec<SealedEvent>) -> Verification {
        verify(&store(seals, events, EventCounts::default())).await.unwrap()
    }

    fn broken(seal_seq: i64, event: Option<u128>, kind: BreakKind) -> Break {
        Break { seal_seq, event_id: event.map(Uuid::from_u128), kind }
    }

    #[tokio::test]
    async fn an_intact_chain_is_reported_with_its_head() {
        let (seals, events) = chain(1, &[&[1, 2], &[3], &[4, 5]]);
        let head = Seal {
            header: SealHeader { seq: 3, prev_hash: Digest::from_hex(&seals[1].hash).unwrap(), sealed_at: at(30) },
            event_count: 2,
            hash: Digest::from_hex(&seals[2].hash).unwrap(),
        };
        let counts = EventCounts { unsealed: 7, outside: 0 };
        let report = verify(&store(seals, events, counts)).await.unwrap();
        assert_eq!(
            report,
            Verification {
                seals: 3,
                sealed_events: 5,
                unsealed_events: 7,
                first_seq: Some(1),
                head: Some(head),
                first_break: None,
            }
        );
    }

    #[tokio::test]
    async fn an_empty_log_is_intact() {
        let report = check(vec![], vec![]).await;
        assert_eq!((report.seals, report.head, report.first_break), (0, None, None));
    }

    #[tokio::test]
    async fn an_altered_event_is_named() {
        let (seals, mut events) = chain(1, &[&[1, 2], &[3, 4]]);
        events[3].event.action = "card.deleted".into();
        assert_eq!(check(seals, events).await.first_break, Some(broken(2, Some(4), BreakKind::EventAltered)));
    }

    #[tokio::test]
    async fn an_event_whose_stored_digest_was_rewritten_to_match_breaks_its_seal() {
        let (seals, mut events) = chain(1, &[&[1, 2], &[3, 4]]);
        events[0].event.action = "card.deleted".into();
        events[0].digest = event_digest(&events[0].event).to_hex();
        assert_eq!(check(seals, events).await.first_break, Some(broken(1, None, BreakKind::SealAltered)));
    }

    #[tokio::test]
    async fn a_removed_or_added_event_breaks_its_seal() {
        let (seals, mut events) = chain(1, &[&[1, 2], &[3, 4]]);
        events.remove(2);
        assert_eq!(check(seals.clone(), events).await.first_break, Some(broken(2, None, BreakKind::SealAltered)));
        let (_, mut events) = chain(1, &[&[1, 2], &[3, 4]]);
        let (_, extra) = chain(2, &[&[9]]);
        events.insert(3, extra[0].clone());
        assert_eq!(check(seals, events).await.first_break, Some(broken(2, None, BreakKind::SealAltered)));
    }

    #[tokio::test]
    async fn a_missing_seal_breaks_the_chain() {
        let (mut seals, mut events) = chain(1, &[&[1], &[2], &[3]]);
        seals.remove(1);
        events.retain(|e| e.seal_seq != 2);
        assert_eq!(check(seals, events).await.first_break, Some(broken(3, None, BreakKind::ChainBroken)));
    }

    #[tokio::test]
    async fn a_seal_recomputed_over_other_events_breaks_the_chain_at_the_next() {
        let (mut seals, mut events) = chain(1, &[&[1], &[2], &[3]]);
        let (rewritten, rewritten_events) = chain(1, &[&[1], &[7]]);
        seals[1] = rewritten[1].clone();
        events[1] = rewritten_events[1].clone();
        assert_eq!(check(seals, events).await.first_break, Some(broken(3, None, BreakKind::ChainBroken)));
    }

    #[tokio::test]
    async fn the_first_seal_must_start_from_nothing_unless_older_ones_were_removed() {
        let (mut seals, events) = chain(1, &[&[1], &[2]]);
        seals[0].prev_hash = "ab".repeat(32);
        assert_eq!(check(seals, events).await.first_break, Some(broken(1, None, BreakKind::ChainBroken)));
        // After retention removed seals 1–4 the oldest remaining one anchors the chain.
        let (seals, events) = chain_from(5, Digest::from_hex(&"ab".repeat(32)).unwrap(), &[&[1], &[2]]);
        let report = check(seals, events).await;
        assert_eq!((report.first_break, report.first_seq, report.seals), (None, Some(5), 2));
    }

    #[tokio::test]
    async fn events_naming_a_missing_seal_are_orphans() {
        let (seals, mut events) = chain(1, &[&[1], &[2], &[3]]);
        // Seal 2's row deleted along with seal 3's claim on it: its event is left over.
        let (mut seals, orphan) = (seals, events.remove(1));
        seals.truncate(1);
        events.truncate(1);
        events.push(orphan);
        let counts = EventCounts { unsealed: 0, outside: 1 };
        let report = verify(&store(seals, events, counts)).await.unwrap();
        assert_eq!(report.first_break, Some(broken(2, None, BreakKind::OrphanedEvents)));
    }

    fn sealed_at(seq: i64, at: DateTime<Utc>) -> StoredSeal {
        StoredSeal { sealed_at: at, ..stored(seq, Digest::GENESIS, 1, Digest::GENESIS) }
    }

    fn retention_store(seals: Vec<StoredSeal>, expected: Option<i64>) -> MockAuditSeals {
        let mut store = MockAuditSeals::new();
        store.expect_seals().returning(move |after, limit| {
            Ok(seals.iter().filter(|s| s.seq > after).take(usize::try_from(limit).unwrap()).cloned().collect())
        });
        match expected {
            Some(through) => {
                store.expect_prune().withf(move |t| *t == through).times(1).returning(|_| Ok(10));
            }
            None => {
                store.expect_prune().never();
            }
        }
        store
    }

    fn pruner(store: MockAuditSeals) -> Sealer {
        Sealer::new(Arc::new(store), Arc::new(ManualClock::new(at(50))), 2)
    }

    #[tokio::test]
    async fn retention_removes_the_seals_older_than_the_window_oldest_first() {
        let seals = vec![sealed_at(1, at(1)), sealed_at(2, at(2)), sealed_at(3, at(45)), sealed_at(4, at(46))];
        let removed = pruner(retention_store(seals, Some(2))).prune(chrono::Duration::seconds(10)).await.unwrap();
        assert_eq!(removed, 10);
    }

    #[tokio::test]
    async fn retention_keeps_the_newest_seal_and_stops_at_the_first_recent_one() {
        let all_old = vec![sealed_at(1, at(1)), sealed_at(2, at(2))];
        pruner(retention_store(all_old, Some(1))).prune(chrono::Duration::seconds(10)).await.unwrap();
        let only_one = vec![sealed_at(1, at(1))];
        pruner(retention_store(only_one, None)).prune(chrono::Duration::seconds(10)).await.unwrap();
        // A seal whose clock ran behind does not let a later, older-looking one go first.
        let skewed = vec![sealed_at(1, at(45)), sealed_at(2, at(1)), sealed_at(3, at(46))];
        pruner(retention_store(skewed, None)).prune(chrono::Duration::seconds(10)).await.unwrap();
    }

    #[tokio::test]
    async fn small_seals_are_read_together_and_large_ones_apart() {
        let (mut seals, events) = chain(1, &[&[1], &[2], &[3], &[4]]);
        // Stored counts decide the runs (the check then finds these counts altered).
        seals[2].event_count = EVENTS_PER_READ;
        let mut store = MockAuditSeals::new();
        let all = seals.clone();
        store.expect_seals().returning(move |after, _| Ok(all.iter().filter(|s| s.seq > after).cloned().collect()));
        let mut reads = mockall::Sequence::new();
        for (first, last) in [(1, 2), (3, 3)] {
            let events = events.clone();
            store
                .expect_sealed_events()
                .withf(move |f, l| (*f, *l) == (first, last))
                .times(1)
                .in_sequence(&mut reads)
                .returning(move |f, l| Ok(events.iter().filter(|e| (f..=l).contains(&e.seal_seq)).cloned().collect()));
        }
        let report = verify(&store).await.unwrap();
        assert_eq!(report.first_break, Some(broken(3, None, BreakKind::SealAltered)));
        let runs: Vec<Vec<i64>> = runs(&seals).iter().map(|r| r.iter().map(|s| s.seq).collect()).collect();
        assert_eq!(runs, [vec![1, 2], vec![3], vec![4]]);
    }
}
