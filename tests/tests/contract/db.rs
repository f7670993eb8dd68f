//! The pool's per-connection settings hold on every connection it opens.

use adapter_sea_orm::SeaIdentityStore;
use corkboard_tests::{Backend, TestDb, databases};
use identity::IdentityStore as _;
use kernel::{RepoError, UserId};
use sea_orm::{ConnectionTrait as _, Database, Statement};

#[tokio::test]
async fn every_pooled_connection_has_the_statement_timeout_or_the_pragmas() {
    for db in databases().await {
        let conn = db.db.conn();
        let backend = conn.get_database_backend();
        // Hold several queries at once so the pool must open more than one connection.
        let (sql, column, expected) = match db.backend {
            Backend::Postgres => ("SHOW statement_timeout", "statement_timeout", "10s"),
            Backend::Sqlite => ("PRAGMA foreign_keys", "foreign_keys", "1"),
        };
        let reads = (0..4).map(|_| conn.query_one(Statement::from_string(backend, sql)));
        for row in futures::future::join_all(reads).await {
            let row = row.unwrap().unwrap();
            let value =
                row.try_get::<String>("", column).or_else(|_| row.try_get::<i64>("", column).map(|v| v.to_string()));
            assert_eq!(value.unwrap(), expected, "{:?}", db.backend);
        }
    }
}

/// A pooled connection used a moment ago is handed out without a ping (decision 0036). When the
/// database cuts it anyway (a restart), the statement that finds it broken is a 503, never a
/// 500, and the pool replaces it: the next statements work.
#[tokio::test]
async fn connections_cut_by_the_database_cost_one_unavailable_statement_each() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let store = SeaIdentityStore::new(db.db.clone());
    let nobody = UserId::from_uuid(uuid::Uuid::now_v7());
    assert!(matches!(store.get_user(nobody).await, Err(RepoError::NotFound)));

    let name = db.url.rsplit('/').next().and_then(|s| s.split('?').next()).unwrap().to_owned();
    let admin = Database::connect(std::env::var("TEST_DATABASE_URL").unwrap()).await.unwrap();
    let backends = format!("FROM pg_stat_activity WHERE datname = '{name}'");
    admin.execute_unprepared(&format!("SELECT pg_terminate_backend(pid) {backends}")).await.unwrap();
    let count = Statement::from_string(admin.get_database_backend(), format!("SELECT count(*) AS n {backends}"));
    while admin.query_one(count.clone()).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let mut failed = 0;
    loop {
        match store.get_user(nobody).await {
            Err(RepoError::NotFound) => break,
            Err(RepoError::Unavailable(_)) => failed += 1,
            other => panic!("a cut connection must read as unavailable, got {other:?}"),
        }
        assert!(failed <= 4, "the pool keeps handing out cut connections");
    }
    assert!(failed >= 1, "the cut connection was reused without a ping, so one statement found it cut");
}
