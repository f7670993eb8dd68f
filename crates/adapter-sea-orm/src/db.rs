//! The connection pool and which backend it talks to.

use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

/// A handle on the database: cheap to clone, shared by every repository.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
}

impl Db {
    /// Connects to `url` (`postgres://…` or `sqlite://…`) with a pool of at most `max_connections`
    /// and a per-statement timeout on PostgreSQL.
    pub async fn connect(url: &str, max_connections: u32, statement_timeout: Duration) -> anyhow::Result<Self> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        if url.starts_with("sqlite:") {
            // SQLite serialises writers; a single connection avoids SQLITE_BUSY under load
            // while WAL still lets that connection read fast. Pragmas are connection options so
            // a reopened connection gets them too.
            opts.max_connections(1).map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        } else {
            // A startup parameter, so every pooled connection gets it, not just the first.
            let ms = statement_timeout.as_millis().to_string();
            opts.map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", ms.as_str())]));
        }
        let mut conn = Database::connect(opts).await.context("cannot connect to the database")?;
        // Every statement, on the pool and in transactions (SeaORM hands the callback to each
        // transaction): `db_statements_total` at `/metrics`, which the benchmark divides by
        // requests to report statements per board fetch.
        conn.set_metric_callback(|_| metrics::counter!("db_statements_total").increment(1));
        Ok(Self { conn })
    }

    /// Wraps an existing connection (tests).
    pub fn from_connection(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// The pool.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The pool's connections: `(open, idle)`, for the pool-usage metrics. `None` for a
    /// connection that is not a pool (mocks).
    #[allow(clippy::match_wildcard_for_single_variants)] // the variants vary with sea-orm features
    pub fn pool_usage(&self) -> Option<(u32, u32)> {
        let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match &self.conn {
            DatabaseConnection::SqlxPostgresPoolConnection(_) => {
                let pool = self.conn.get_postgres_connection_pool();
                Some((pool.size(), idle(pool.num_idle())))
            }
            DatabaseConnection::SqlxSqlitePoolConnection(_) => {
                let pool = self.conn.get_sqlite_connection_pool();
                Some((pool.size(), idle(pool.num_idle())))
            }
            _ => None,
        }
    }

    /// `SELECT 1`, for readiness checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let backend = self.conn.get_database_backend();
        self.conn.query_one(Statement::from_string(backend, "SELECT 1")).await.context("database ping failed")?;
        Ok(())
    }
}
