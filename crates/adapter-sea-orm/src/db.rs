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

/// At most this many connections read a SQLite file beside its one writing connection: each
/// runs its statements on a thread of its own, so more than a few only add thread switches.
const SQLITE_READERS: u32 = 4;

/// The page cache of a SQLite file's writing connection (`PRAGMA cache_size`, negative: KiB):
/// a quarter of SQLite's default. Reads go through the reading connections, so the writer's
/// pages are those a change touches (the B-trees' upper levels and the appended-to ends of the
/// audit and outbox tables); missing ones come from the operating system's file cache. The
/// default's 2 MiB were all resident after seeding, 7 % of an idle server (decision 0039).
const SQLITE_WRITER_CACHE: &str = "-512";

/// A handle on the database: cheap to clone, shared by every repository.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite files only: connections that only read ([`Db::reads`]).
    readers: Option<DatabaseConnection>,
}

impl Db {
    /// Connects to `url` (`postgres://…` or `sqlite://…`): on PostgreSQL a pool of at most
    /// `max_connections` with a per-statement timeout; on a SQLite file one writing connection
    /// and at most `max_connections` (and four) reading ones.
    pub async fn connect(url: &str, max_connections: u32, statement_timeout: Duration) -> anyhow::Result<Self> {
        use sea_orm::sqlx::ConnectOptions as _;
        let mut readers = None;
        let mut conn = if url.starts_with("sqlite:") {
            // SQLite serialises writers; a single writing connection avoids SQLITE_BUSY under
            // load. In WAL mode readers do not wait for it, so reads outside a transaction get
            // connections of their own, which refuse to write (decision 0037); an in-memory
            // database is private to its connection and keeps the one. Pragmas are connection
            // options so a reopened connection gets them too.
            let options = SqliteConnectOptions::from_str(url)
                .context("the database URL is not a SQLite URL")?
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging();
            let writing = options.clone().journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let writing = if in_memory { writing } else { writing.pragma("cache_size", SQLITE_WRITER_CACHE) };
            let pool = pool_options(1).connect_with(writing).await.context("cannot connect to the database")?;
            if !in_memory {
                // Opened on first use, after the writer has made the file (and WAL) exist.
                let reading = options.pragma("query_only", "ON");
                let pool = pool_options(max_connections.clamp(1, SQLITE_READERS)).min_connections(0);
                readers = Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.connect_lazy_with(reading)));
            }
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
        // requests to report statements per board fetch, and a span when traces are exported.
        // The counter's handle is taken once, from the recorder installed by now (looking it up
        // by name on every statement cost 850 instructions): the app installs its recorder
        // before it connects.
        let system = if url.starts_with("sqlite:") { "sqlite" } else { "postgresql" };
        let statements = metrics::counter!("db_statements_total");
        if let Some(readers) = &mut readers {
            let statements = statements.clone();
            readers.set_metric_callback(move |statement| on_statement(system, &statements, statement));
        }
        conn.set_metric_callback(move |statement| on_statement(system, &statements, statement));
        Ok(Self { conn, readers })
    }

    /// Wraps an existing connection (tests).
    pub fn from_connection(conn: DatabaseConnection) -> Self {
        Self { conn, readers: None }
    }

    /// The pool, for writes and transactions.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The pool for reads outside a transaction: on a SQLite file, connections that refuse to
    /// write and do not wait for the writing one; elsewhere [`Db::conn`]. A read here sees
    /// every transaction committed before it began.
    pub fn reads(&self) -> &DatabaseConnection {
        self.readers.as_ref().unwrap_or(&self.conn)
    }

    /// The pools' connections: `(open, idle)`, for the pool-usage metrics (SQLite's reading
    /// connections included). `None` for a connection that is not a pool (mocks).
    pub fn pool_usage(&self) -> Option<(u32, u32)> {
        let (open, idle) = usage(&self.conn)?;
        let (more_open, more_idle) = self.readers.as_ref().and_then(usage).unwrap_or_default();
        Some((open + more_open, idle + more_idle))
    }

    /// `SELECT 1`, for readiness checks.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let backend = self.conn.get_database_backend();
        self.conn.query_one(Statement::from_string(backend, "SELECT 1")).await.context("database ping failed")?;
        Ok(())
    }
}

/// Counts a statement sent, for `db_statements_total`, and records it as a client span of the
/// trace being recorded, if any.
fn on_statement(system: &'static str, statements: &metrics::Counter, statement: &sea_orm::metric::Info<'_>) {
    statements.increment(1);
    trace_statement(system, statement);
}

/// Records a statement that has just run as a child of the current OpenTelemetry span, when
/// there is one and it is sampled (decision 0051): a request's. SeaORM tells of a statement
/// only once it has run (and not of `BEGIN` or `COMMIT`), so the span is made after the fact,
/// with the statement's own start and end. The text is the prepared statement's: values are
/// never in it. Statements outside a recorded span (the workers') make no span at all.
fn trace_statement(system: &'static str, statement: &sea_orm::metric::Info<'_>) {
    use opentelemetry::KeyValue;
    use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _};
    let parent = opentelemetry::Context::current();
    if !parent.span().span_context().is_sampled() {
        return;
    }
    let end = std::time::SystemTime::now();
    let sql = statement.statement.sql.as_str();
    let operation = operation(sql);
    let tracer = opentelemetry::global::tracer("corkboard");
    let mut span = tracer
        .span_builder(operation)
        .with_kind(SpanKind::Client)
        .with_start_time(end.checked_sub(statement.elapsed).unwrap_or(end))
        .with_attributes([
            KeyValue::new("db.system.name", system),
            KeyValue::new("db.operation.name", operation),
            KeyValue::new("db.query.text", sql.to_owned()),
        ])
        .start_with_context(&tracer, &parent);
    if statement.failed {
        span.set_status(Status::error("the statement failed"));
    }
    span.end_with_timestamp(end);
}

/// The statement's kind, from its first word, for the span's name.
fn operation(sql: &str) -> &'static str {
    const KNOWN: [&str; 5] = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"];
    let first = sql.split_whitespace().next().unwrap_or_default();
    KNOWN.into_iter().find(|known| known.eq_ignore_ascii_case(first)).unwrap_or("SQL")
}

/// A pool's `(open, idle)` connections.
#[allow(clippy::match_wildcard_for_single_variants)] // the variants vary with sea-orm features
fn usage(conn: &DatabaseConnection) -> Option<(u32, u32)> {
    let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match conn {
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            let pool = conn.get_postgres_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        DatabaseConnection::SqlxSqlitePoolConnection(_) => {
            let pool = conn.get_sqlite_connection_pool();
            Some((pool.size(), idle(pool.num_idle())))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::operation;

    #[test]
    fn a_statement_is_named_by_its_first_word() {
        assert_eq!(operation("SELECT \"cards\".\"id\" FROM \"cards\""), "SELECT");
        assert_eq!(operation("  insert into audit_events VALUES ($1)"), "INSERT");
        assert_eq!(operation("WITH moved AS (DELETE FROM outbox RETURNING *) SELECT 1"), "WITH");
        assert_eq!(operation("PRAGMA optimize"), "SQL");
        assert_eq!(operation(""), "SQL");
    }
}
