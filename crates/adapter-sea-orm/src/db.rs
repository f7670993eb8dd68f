//! The connection pool and which backend it talks to.

use std::str::FromStr as _;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx::pool::PoolOptions;
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{Connection as _, Database as SqlxDatabase};
use sea_orm::{ConnectionTrait, DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector, Statement};

/// A pooled connection idle for less than this is handed out without a ping first. sqlx
/// already pings every connection as it is released (and drops it if the ping fails), so a
/// connection used a moment ago was checked a moment ago; pinging it again on acquisition
/// (`test_before_acquire`, sqlx's default) was one in two of the round trips of a fetch of an
/// unchanged board. A connection idle for longer is pinged, and replaced when the ping fails:
/// the window and the rule are `HikariCP`'s (decision 0036). A connection cut within the window
/// fails the one statement that finds it cut, with a 503 (`error.rs`).
const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// The pool's settings, but for the connection's own options.
fn pool_options<DB: SqlxDatabase>(max_connections: u32) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn: &mut DB::Connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// A handle on the database: cheap to clone, shared by every repository.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
}

impl Db {
    /// Connects to `url` (`postgres://…` or `sqlite://…`) with a pool of at most `max_connections`
    /// and a per-statement timeout on PostgreSQL.
    pub async fn connect(url: &str, max_connections: u32, statement_timeout: Duration) -> anyhow::Result<Self> {
        use sea_orm::sqlx::ConnectOptions as _;
        let mut conn = if url.starts_with("sqlite:") {
            // SQLite serialises writers; a single connection avoids SQLITE_BUSY under load
            // while WAL still lets that connection read fast. Pragmas are connection options so
            // a reopened connection gets them too.
            let options = SqliteConnectOptions::from_str(url)
                .context("the database URL is not a SQLite URL")?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging();
            let pool = pool_options(1).connect_with(options).await.context("cannot connect to the database")?;
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        } else {
            // A startup parameter, so every pooled connection gets it, not just the first.
            let ms = statement_timeout.as_millis().to_string();
            let options = PgConnectOptions::from_str(url)
                .context("the database URL is not a PostgreSQL URL")?
                .options([("statement_timeout", ms.as_str())])
                .disable_statement_logging();
            let pool =
                pool_options(max_connections).connect_with(options).await.context("cannot connect to the database")?;
            SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
        };
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
