//! The audit log's seals (decision 0045), on every SQL backend: sealing in hash-chained
//! batches, checking the chain, and finding what was changed behind the application's back.

use std::sync::Arc;

use adapter_sea_orm::{SeaAuditLog, SeaAuditSeals, SeaIdentityStore, SeaSessionStore};
use audit::seal::{Break, BreakKind};
use audit::{AuditService, Sealer, Verification};
use corkboard_tests::{TestDb, databases};
use identity::{DisplayName, Email, IdentityService, NewUser, Role};
use kernel::{Caller, SystemClock, UserId, UuidV7};
use sea_orm::ConnectionTrait as _;
use uuid::Uuid;

fn admin() -> Caller {
    Caller::user(UserId::from_uuid(Uuid::now_v7()), true)
}

/// Appends `n` events (one `user.created` each, with a few changed fields).
async fn write_events(db: &TestDb, n: usize) {
    let identity = IdentityService::new(
        Arc::new(SeaIdentityStore::new(db.db.clone())),
        Arc::new(SeaSessionStore::new(db.db.clone(), Arc::new(SystemClock))),
        Arc::new(identity::Argon2Hasher::fast_for_tests().expect("hashing threads")),
        Arc::new(SystemClock),
        Arc::new(UuidV7),
    );
    for _ in 0..n {
        let user = NewUser {
            email: Email::parse(&format!("{}@x.io", Uuid::now_v7().simple())).unwrap(),
            display_name: DisplayName::parse("Someone").unwrap(),
            password: None,
            role: Role::Member,
        };
        identity.create_user(&admin(), user).await.unwrap();
    }
}

fn sealer(db: &TestDb, batch: u64) -> Sealer {
    Sealer::new(Arc::new(SeaAuditSeals::new(db.db.clone())), Arc::new(SystemClock), batch)
}

async fn verify(db: &TestDb) -> Verification {
    let service =
        AuditService::new(Arc::new(SeaAuditLog::new(db.db.clone())), Arc::new(SeaAuditSeals::new(db.db.clone())));
    service.verify(&admin()).await.unwrap()
}

async fn exec(db: &TestDb, sql: &str) {
    db.db.conn().execute_unprepared(sql).await.unwrap();
}

/// The id of the `n`-th event written (from 0).
async fn event_id(db: &TestDb, n: usize) -> Uuid {
    let conn = db.db.conn();
    let sql = format!("SELECT id FROM audit_events ORDER BY seq LIMIT 1 OFFSET {n}");
    let row = conn.query_one(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get("", "id").unwrap()
}

#[tokio::test]
async fn events_are_sealed_in_chained_batches_and_the_chain_checks_out() {
    for db in databases().await {
        write_events(&db, 5).await;
        let sealer = sealer(&db, 2);
        let mut numbers = vec![];
        loop {
            let report = sealer.seal_pending().await.unwrap();
            let Some(seq) = report.seq else { break };
            numbers.push((seq, report.sealed));
        }
        assert_eq!(numbers, [(1, 2), (2, 2), (3, 1)], "{:?}", db.backend);
        write_events(&db, 1).await;
        let report = verify(&db).await;
        assert_eq!(report.first_break, None, "{:?}: {report:?}", db.backend);
        assert_eq!((report.seals, report.sealed_events, report.unsealed_events), (3, 5, 1), "{:?}", db.backend);
        assert_eq!(report.head.map(|head| head.header.seq), Some(3));
        assert_eq!(db.count("audit_events WHERE seal_seq IS NULL").await, 1, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn an_edited_event_is_named_and_a_deleted_one_breaks_its_seal() {
    for db in databases().await {
        write_events(&db, 4).await;
        let sealer = sealer(&db, 2);
        while sealer.seal_pending().await.unwrap().seq.is_some() {}
        let third = event_id(&db, 2).await;
        let edit = |action: &str| {
            format!(
                "UPDATE audit_events SET action = '{action}' WHERE id = (SELECT id FROM audit_events ORDER BY seq LIMIT 1 OFFSET 2)"
            )
        };
        exec(&db, &edit("user.deleted")).await;
        let expected = Break { seal_seq: 2, event_id: Some(third), kind: BreakKind::EventAltered };
        assert_eq!(verify(&db).await.first_break, Some(expected), "{:?}", db.backend);
        // Put back as it was, the event checks out again: the check reads only what is stored.
        exec(&db, &edit("user.created")).await;
        assert_eq!(verify(&db).await.first_break, None, "{:?}", db.backend);
        exec(&db, "DELETE FROM audit_events WHERE seq = (SELECT MIN(seq) FROM audit_events)").await;
        let expected = Break { seal_seq: 1, event_id: None, kind: BreakKind::SealAltered };
        assert_eq!(verify(&db).await.first_break, Some(expected), "{:?}", db.backend);
    }
}

#[tokio::test]
async fn a_deleted_seal_breaks_the_chain_or_orphans_its_events() {
    for db in databases().await {
        write_events(&db, 3).await;
        let sealer = sealer(&db, 1);
        while sealer.seal_pending().await.unwrap().seq.is_some() {}
        exec(&db, "DELETE FROM audit_seals WHERE seq = 3").await;
        let report = verify(&db).await;
        let expected = Break { seal_seq: 3, event_id: None, kind: BreakKind::OrphanedEvents };
        assert_eq!(report.first_break, Some(expected), "{:?}: the newest seal", db.backend);
        exec(&db, "DELETE FROM audit_seals WHERE seq = 1").await;
        let expected = Break { seal_seq: 2, event_id: None, kind: BreakKind::OrphanedEvents };
        assert_eq!(verify(&db).await.first_break.map(|b| b.kind), Some(expected.kind), "{:?}: the oldest", db.backend);
    }
}

#[tokio::test]
async fn concurrent_sealers_seal_every_event_exactly_once() {
    for db in databases().await {
        write_events(&db, 30).await;
        let sealers: Vec<_> = (0..4).map(|_| Arc::new(sealer(&db, 4))).collect();
        let rounds = sealers.iter().map(|s| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut sealed = 0;
                for _ in 0..20 {
                    sealed += s.seal_pending().await.map_or(0, |r| r.sealed);
                }
                sealed
            })
        });
        let mut total = 0;
        for round in rounds {
            total += round.await.unwrap();
        }
        assert_eq!(total, 30, "{:?}", db.backend);
        let report = verify(&db).await;
        assert_eq!(
            (report.first_break, report.sealed_events, report.unsealed_events),
            (None, 30, 0),
            "{:?}",
            db.backend
        );
        assert_eq!(report.seals, 8, "{:?}: 4 events per seal", db.backend);
    }
}

#[tokio::test]
async fn retention_removes_whole_seals_and_the_rest_still_checks_out() {
    for db in databases().await {
        write_events(&db, 3).await;
        let sealer = sealer(&db, 1);
        while sealer.seal_pending().await.unwrap().seq.is_some() {}
        let removed = sealer.prune(chrono::Duration::zero()).await.unwrap();
        assert_eq!(removed, 2, "{:?}: every seal but the newest", db.backend);
        assert_eq!(db.count("audit_seals").await, 1, "{:?}", db.backend);
        assert_eq!(db.count("audit_events").await, 1, "{:?}", db.backend);
        write_events(&db, 1).await;
        assert_eq!(sealer.seal_pending().await.unwrap().seq, Some(4), "{:?}: the numbers go on", db.backend);
        let report = verify(&db).await;
        assert_eq!(report.first_break, None, "{:?}: {report:?}", db.backend);
        assert_eq!((report.first_seq, report.seals, report.sealed_events), (Some(3), 2, 2), "{:?}", db.backend);
    }
}

#[tokio::test]
async fn a_seal_larger_than_one_marking_statement_marks_every_event() {
    for db in databases().await {
        write_events(&db, 230).await;
        let report = sealer(&db, 1000).seal_pending().await.unwrap();
        assert_eq!(report.sealed, 230, "{:?}", db.backend);
        assert_eq!(db.count("audit_events WHERE seal_seq = 1 AND digest IS NOT NULL").await, 230, "{:?}", db.backend);
        assert_eq!(verify(&db).await.first_break, None, "{:?}", db.backend);
    }
}
