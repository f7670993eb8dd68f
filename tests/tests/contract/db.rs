//! The pool's per-connection settings hold on every connection it opens.

use adapter_sea_orm::SeaIdentityStore;
use corkboard_tests::{Backend, TestDb, databases};
use identity::IdentityStore as _;
use kernel::{RepoError, UserId};
use sea_orm::{ConnectionTrait as _, Database, Statement, TransactionTrait as _};

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
        // SQLite's reading connections too (decision 0037).
        let reads = (0..4).map(|_| conn.query_one(Statement::from_string(backend, sql)));
        let more = (0..4).map(|_| db.db.reads().query_one(Statement::from_string(backend, sql)));
        for row in futures::future::join_all(reads.chain(more)).await {
            let row = row.unwrap().unwrap();
            let value =
                row.try_get::<String>("", column).or_else(|_| row.try_get::<i64>("", column).map(|v| v.to_string()));
            assert_eq!(value.unwrap(), expected, "{:?}", db.backend);
        }
    }
}

/// A SQLite file's writing connection keeps a quarter of SQLite's default page cache; its reading
/// connections keep the default (decision 0039).
#[tokio::test]
async fn the_sqlite_writer_keeps_a_small_page_cache_and_the_readers_the_default() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let pragma = Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA cache_size");
    for (conn, expected) in [(db.db.conn(), -512), (db.db.reads(), -2000)] {
        let row = conn.query_one(pragma.clone()).await.unwrap().unwrap();
        assert_eq!(row.try_get::<i64>("", "cache_size").unwrap(), expected);
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

/// On a SQLite file, reads outside a transaction have connections of their own (decision
/// 0037): they do not wait for a write transaction in progress, see only what has been
/// committed, and refuse to write.
#[tokio::test]
async fn sqlite_reads_do_not_wait_for_the_writer_and_cannot_write() {
    let db = TestDb::new(Backend::Sqlite).await.expect("SQLite is always there");
    let (writer, reads) = (db.db.conn(), db.db.reads());
    let sql = |s: &str| Statement::from_string(sea_orm::DatabaseBackend::Sqlite, s.to_owned());
    let count = || async {
        let row = reads.query_one(sql("SELECT COUNT(*) AS n FROM scratch")).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    writer.execute(sql("CREATE TABLE scratch (n INTEGER)")).await.unwrap();
    writer.execute(sql("INSERT INTO scratch VALUES (1)")).await.unwrap();

    // The writer's one connection is taken by an open write transaction.
    let txn = writer.begin().await.unwrap();
    txn.execute(sql("INSERT INTO scratch VALUES (2)")).await.unwrap();
    let seen = tokio::time::timeout(std::time::Duration::from_secs(2), count()).await;
    assert_eq!(seen.expect("a read does not wait for the writing connection"), 1, "the uncommitted row is unseen");
    txn.commit().await.unwrap();
    assert_eq!(count().await, 2, "a read sees what was committed before it began");

    let refused = reads.execute(sql("INSERT INTO scratch VALUES (3)")).await;
    assert!(refused.is_err(), "a reading connection refuses to write: {refused:?}");
    assert_eq!(count().await, 2);
}
