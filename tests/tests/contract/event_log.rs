//! The event feed's log (decision 0047) on every SQL backend: sealed events in seal order,
//! read after a position, and — on PostgreSQL, where transactions commit out of sequence
//! order — an event that commits after later ones were read is served after them, not lost.

use std::sync::Arc;

use adapter_sea_orm::{SeaAuditSeals, SeaEventLog, SeaIdentityStore};
use audit::Sealer;
use chrono::Utc;
use connector::{EventLog as _, FeedPosition, SealSpan, Viewer};
use corkboard_tests::{Backend, TestDb, databases};
use identity::IdentityStore as _;
use kernel::{Actor, Changes, DomainEvent, RequestMeta, SystemClock};
use uuid::Uuid;

fn event() -> DomainEvent {
    DomainEvent {
        id: Uuid::now_v7(),
        occurred_at: Utc::now(),
        actor: Actor::System,
        action: "user.updated",
        resource_type: "user",
        resource_id: Uuid::now_v7(),
        board_id: None,
        changes: Changes::new().set("display_name", "Ann"),
        meta: RequestMeta::default(),
    }
}

/// Records `event` in a unit of work of its own, committed.
async fn record(db: &TestDb, event: &DomainEvent) {
    let tx = SeaIdentityStore::new(db.db.clone()).begin().await.unwrap();
    tx.record(event).await.unwrap();
    tx.commit().await.unwrap();
}

fn sealer(db: &TestDb) -> Sealer {
    Sealer::new(Arc::new(SeaAuditSeals::new(db.db.clone())), Arc::new(SystemClock), 100)
}

#[tokio::test]
async fn sealed_events_are_read_in_order_after_a_position() {
    for db in databases().await {
        let log = SeaEventLog::new(db.db.clone());
        let events: Vec<_> = (0..3).map(|_| event()).collect();
        record(&db, &events[0]).await;
        assert!(log.after(Viewer::All, None, 10).await.unwrap().is_empty(), "{:?}: unsealed events wait", db.backend);
        sealer(&db).seal_pending().await.unwrap();
        record(&db, &events[1]).await;
        record(&db, &events[2]).await;
        sealer(&db).seal_pending().await.unwrap();

        let all = log.after(Viewer::All, None, 10).await.unwrap();
        let ids: Vec<_> = all.iter().map(|e| e.id).collect();
        assert_eq!(ids, events.iter().map(|e| e.id).collect::<Vec<_>>(), "{:?}", db.backend);
        assert!(all.windows(2).all(|w| w[0].position < w[1].position));
        assert_eq!(all[0].changes["display_name"]["after"], "Ann");
        let rest = log.after(Viewer::All, Some(all[0].position), 10).await.unwrap();
        assert_eq!(rest.iter().map(|e| e.id).collect::<Vec<_>>(), ids[1..]);
        let one = log.after(Viewer::All, Some(all[0].position), 1).await.unwrap();
        assert_eq!(one.len(), 1);
        let beyond = FeedPosition { seal: u64::MAX, seq: u64::MAX };
        assert!(log.after(Viewer::All, Some(beyond), 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_event_committed_after_later_ones_were_read_is_served_after_them() {
    for db in databases().await {
        // SQLite has one writer: a transaction cannot stay open while another commits.
        if db.backend != Backend::Postgres {
            continue;
        }
        let log = SeaEventLog::new(db.db.clone());
        let (slow, fast) = (event(), event());
        let open = SeaIdentityStore::new(db.db.clone()).begin().await.unwrap();
        open.record(&slow).await.unwrap(); // takes the earlier place in the log, uncommitted
        record(&db, &fast).await;
        sealer(&db).seal_pending().await.unwrap();
        let first = log.after(Viewer::All, None, 10).await.unwrap();
        assert_eq!(first.iter().map(|e| e.id).collect::<Vec<_>>(), [fast.id]);

        open.commit().await.unwrap();
        sealer(&db).seal_pending().await.unwrap();
        let next = log.after(Viewer::All, Some(first[0].position), 10).await.unwrap();
        assert_eq!(next.iter().map(|e| e.id).collect::<Vec<_>>(), [slow.id], "the late event is not skipped");
        assert!(next[0].position.seq < first[0].position.seq, "it has the earlier place in the log");
    }
}

#[tokio::test]
async fn the_kept_seals_move_on_as_retention_removes_the_oldest() {
    for db in databases().await {
        let log = SeaEventLog::new(db.db.clone());
        assert_eq!(log.seals().await.unwrap(), None, "{:?}: nothing sealed yet", db.backend);
        let mut seals = Vec::new();
        for _ in 0..3 {
            record(&db, &event()).await;
            seals.push(sealer(&db).seal_pending().await.unwrap().seq.expect("a seal").unsigned_abs());
        }
        let kept = |oldest, newest| Some(SealSpan { oldest, newest });
        assert_eq!(log.seals().await.unwrap(), kept(seals[0], seals[2]), "{:?}", db.backend);
        // Past the window: every seal but the newest goes.
        sealer(&db).prune(chrono::Duration::seconds(-1)).await.unwrap();
        assert_eq!(log.seals().await.unwrap(), kept(seals[2], seals[2]), "{:?}", db.backend);
    }
}
