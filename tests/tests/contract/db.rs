//! The pool's per-connection settings hold on every connection it opens.

use corkboard_tests::{Backend, databases};
use sea_orm::{ConnectionTrait as _, Statement};

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
