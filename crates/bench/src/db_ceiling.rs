//! The database ceilings: the statements one `GET /api/v1/boards/{id}` sends, in the same order
//! with the same parameters, run through a raw sqlx pool (prepared statements, cached per
//! connection) of the same size as the server's, at the same concurrency levels, timed in this
//! process. No HTTP, no ORM, no JSON: what the database alone allows. The ceiling server
//! (`ceiling.rs`) runs the unchanged board's set through the same [`Fetcher`] before answering
//! the board's bytes: the same ceiling, end to end.
//!
//! A fetch sends one of two sets ([`Fetch`]). Both start with the bearer token read with its
//! owner (`identity_store/queries.rs`). Reading the whole view then reads the caller's
//! membership (`board_store/boards.rs`) and runs the text SeaORM generates for
//! `adapter-sea-orm/src/board_store/view.rs` (`get_board_view`: board, revision, members,
//! labels, columns, open cards, their labels and assignees) in one snapshot; a fetch of a
//! board whose kept rendering is still exact reads the caller's membership with the board's
//! revision instead (one statement). The text was copied from PostgreSQL's statement log of
//! real board fetches; the report puts the server's
//! own statement counter next to these counts.
//!
//! A third ceiling bounds the writes: one row inserted and committed per transaction
//! ([`measure_commits`]), so the card create and move figures can be read against what the
//! database's commit path (its log flush) allows on the same machine in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::Row as _;
use uuid::Uuid;

use crate::load::Figures;

/// A parameter of a statement.
#[derive(Debug, Clone, Copy)]
enum Arg {
    Board,
    User,
    TokenHash,
    Bool(bool),
    Int(i64),
    Int4(i32),
}

struct Stmt {
    sql: &'static str,
    args: &'static [Arg],
}

/// First, on the pool: the bearer token with its owner (`identity_store/queries.rs`,
/// `find_token_by_hash`).
const AUTH: &[Stmt] = &[Stmt {
    sql: r#"SELECT "access_tokens"."id", "access_tokens"."user_id", "access_tokens"."name", "access_tokens"."display_prefix", "access_tokens"."scopes", "access_tokens"."expires_at", "access_tokens"."last_used_at", "access_tokens"."created_at", "users"."id", "users"."email", "users"."display_name", "users"."role", "users"."status", "users"."password_hash", "users"."version", "users"."created_at", "users"."updated_at" FROM "access_tokens" INNER JOIN "users" ON "access_tokens"."user_id" = "users"."id" WHERE "access_tokens"."secret_hash" = $1 LIMIT $2"#,
    args: &[Arg::TokenHash, Arg::Int(1)],
}];

/// Then, before reading the whole view: the caller's membership (`board_store/boards.rs`,
/// `membership`).
const MEMBERSHIP: Stmt = Stmt {
    sql: r#"SELECT "board_members"."board_id", "board_members"."user_id", "board_members"."role", "board_members"."created_at", "board_members"."updated_at" FROM "board_members" WHERE "board_members"."board_id" = $1 AND "board_members"."user_id" = $2 LIMIT $3"#,
    args: &[Arg::Board, Arg::User, Arg::Int(1)],
};

/// Or, when checking a kept rendering: the caller's role with the board's revision
/// (`board_store/boards.rs`, `membership_and_revision`).
const MEMBERSHIP_AND_REVISION: Stmt = Stmt {
    sql: r#"SELECT "board_members"."role", "board_revisions"."revision" FROM "board_members" INNER JOIN "board_revisions" ON "board_members"."board_id" = "board_revisions"."board_id" WHERE "board_members"."board_id" = $1 AND "board_members"."user_id" = $2 LIMIT $3"#,
    args: &[Arg::Board, Arg::User, Arg::Int(1)],
};

/// The board's revision (`board_store/boards.rs`, `revision`), inside the snapshot.
const REVISION: Stmt = Stmt {
    sql: r#"SELECT "board_revisions"."revision" FROM "board_revisions" WHERE "board_revisions"."board_id" = $1 LIMIT $2"#,
    args: &[Arg::Board, Arg::Int(1)],
};

/// PostgreSQL only: the snapshot's settings, first statements of the transaction.
const SNAPSHOT: &[Stmt] = &[
    Stmt { sql: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", args: &[] },
    Stmt { sql: "SET TRANSACTION READ ONLY", args: &[] },
];

/// Inside the snapshot: `view::get_board_view`.
const VIEW: &[Stmt] = &[
    Stmt {
        sql: r#"SELECT "boards"."id", "boards"."name", "boards"."description", "boards"."owner_id", "boards"."archived", "boards"."version", "boards"."created_at", "boards"."updated_at" FROM "boards" WHERE "boards"."id" = $1 LIMIT $2"#,
        args: &[Arg::Board, Arg::Int(1)],
    },
    REVISION,
    Stmt {
        sql: r#"SELECT "board_members"."board_id", "board_members"."user_id", "board_members"."role", "board_members"."created_at", "board_members"."updated_at" FROM "board_members" WHERE "board_members"."board_id" = $1 ORDER BY "board_members"."user_id" ASC"#,
        args: &[Arg::Board],
    },
    Stmt {
        sql: r#"SELECT "labels"."id", "labels"."board_id", "labels"."name", "labels"."color", "labels"."version", "labels"."created_at", "labels"."updated_at" FROM "labels" WHERE "labels"."board_id" = $1 ORDER BY "labels"."id" ASC"#,
        args: &[Arg::Board],
    },
    Stmt {
        sql: r#"SELECT "board_columns"."id", "board_columns"."board_id", "board_columns"."name", "board_columns"."rank", "board_columns"."wip_limit", "board_columns"."version", "board_columns"."created_at", "board_columns"."updated_at" FROM "board_columns" WHERE "board_columns"."board_id" = $1 ORDER BY "board_columns"."rank" ASC, "board_columns"."id" ASC"#,
        args: &[Arg::Board],
    },
    Stmt {
        sql: r#"SELECT "cards"."id", "cards"."board_id", "cards"."column_id", "cards"."title", "cards"."description", "cards"."rank", "cards"."due_at", "cards"."archived", "cards"."version", "cards"."created_by", "cards"."created_at", "cards"."updated_at" FROM "cards" WHERE "cards"."board_id" = $1 AND "cards"."archived" = $2"#,
        args: &[Arg::Board, Arg::Bool(false)],
    },
    Stmt {
        sql: r#"SELECT "card_id", "label_id", $1 FROM "card_labels" WHERE "card_labels"."board_id" = $2 AND "card_labels"."card_id" IN (SELECT "id" FROM "cards" WHERE "cards"."board_id" = $3 AND "cards"."archived" = $4) UNION ALL (SELECT "card_id", "user_id", $5 FROM "card_assignees" WHERE "card_assignees"."board_id" = $6 AND "card_assignees"."card_id" IN (SELECT "id" FROM "cards" WHERE "cards"."board_id" = $7 AND "cards"."archived" = $8))"#,
        args: &[
            Arg::Int4(1),
            Arg::Board,
            Arg::Board,
            Arg::Bool(false),
            Arg::Int4(2),
            Arg::Board,
            Arg::Board,
            Arg::Bool(false),
        ],
    },
];

/// Which statements a board fetch sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// The whole view, in a snapshot: a board changed since its last rendering, or never read.
    WholeView,
    /// The revision only: a board whose kept rendering is still exact.
    Unchanged,
}

/// How many statements the ceiling runs per board fetch, `BEGIN` and `COMMIT` included.
pub(crate) fn statements_per_fetch(pool: &Pool, fetch: Fetch) -> usize {
    let snapshot = if matches!(pool, Pool::Postgres(_)) { SNAPSHOT.len() } else { 0 };
    match fetch {
        Fetch::WholeView => AUTH.len() + 1 + 2 + snapshot + VIEW.len(),
        Fetch::Unchanged => AUTH.len() + 1,
    }
}

/// The values the statements are run with.
#[derive(Debug)]
struct Ids {
    board: Uuid,
    user: Uuid,
    token_hash: String,
}

/// Which pool.
#[derive(Clone)]
pub(crate) enum Pool {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Pool {
    /// A pool of `size` connections to `url`, handed out as the server's pool hands them out:
    /// pinged first only when idle for half a second or more (adapter-sea-orm/src/db.rs).
    pub(crate) async fn connect(url: &str, size: u32) -> anyhow::Result<Self> {
        fn options<DB: sqlx::Database>(size: u32) -> sqlx::pool::PoolOptions<DB> {
            sqlx::pool::PoolOptions::new().max_connections(size).test_before_acquire(false).before_acquire(
                |conn: &mut DB::Connection, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= Duration::from_millis(500) {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                },
            )
        }
        if url.starts_with("sqlite:") {
            let opts: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
            // As the server opens it (adapter-sea-orm/src/db.rs).
            let opts = opts
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            Ok(Self::Sqlite(options(size).connect_with(opts).await?))
        } else {
            Ok(Self::Postgres(options(size).connect(url).await?))
        }
    }

    /// Reads the token's stored hash and the token owner's id.
    async fn token_ids(&self, token_id: Uuid) -> anyhow::Result<(String, Uuid)> {
        let sql = "SELECT secret_hash, user_id FROM access_tokens WHERE id = $1";
        let row = match self {
            Self::Postgres(p) => {
                let r = sqlx::query(sql).bind(token_id).fetch_one(p).await?;
                (r.try_get(0)?, r.try_get(1)?)
            }
            Self::Sqlite(p) => {
                let r = sqlx::query(&sqlite_sql(sql)).bind(token_id).fetch_one(p).await?;
                (r.try_get(0)?, r.try_get(1)?)
            }
        };
        Ok(row)
    }
}

/// `$1, $2, …` become `?` (the statements use each parameter once, in order), and the second
/// member of a `UNION ALL` loses the parentheses SQLite does not accept (SeaORM writes it
/// without them there).
fn sqlite_sql(sql: &str) -> String {
    if let Some((first, second)) = sql.split_once(" UNION ALL (")
        && let Some(second) = second.strip_suffix(')')
    {
        return sqlite_sql(&format!("{first} UNION ALL {second}"));
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// The statements' SQL for one backend.
struct Sqls {
    auth: Vec<String>,
    membership: Vec<String>,
    membership_and_revision: Vec<String>,
    snapshot: Vec<String>,
    view: Vec<String>,
}

impl Sqls {
    fn new(pool: &Pool) -> Self {
        let text = |stmts: &[Stmt]| -> Vec<String> {
            stmts
                .iter()
                .map(|s| match pool {
                    Pool::Postgres(_) => s.sql.to_owned(),
                    Pool::Sqlite(_) => sqlite_sql(s.sql),
                })
                .collect()
        };
        let snapshot = if matches!(pool, Pool::Postgres(_)) { text(SNAPSHOT) } else { Vec::new() };
        Self {
            auth: text(AUTH),
            membership: text(std::slice::from_ref(&MEMBERSHIP)),
            membership_and_revision: text(std::slice::from_ref(&MEMBERSHIP_AND_REVISION)),
            snapshot,
            view: text(VIEW),
        }
    }
}

/// Runs `stmts` (with their SQL in `sqls`) on `$exec`; adds the values received to `$values`.
macro_rules! run_all {
    ($exec:expr, $stmts:expr, $sqls:expr, $ids:expr, $values:ident) => {
        for (stmt, sql) in $stmts.iter().zip($sqls.iter()) {
            let mut query = sqlx::query(sql.as_str());
            for arg in stmt.args {
                query = match *arg {
                    Arg::Board => query.bind($ids.board),
                    Arg::User => query.bind($ids.user),
                    Arg::TokenHash => query.bind($ids.token_hash.as_str()),
                    Arg::Bool(b) => query.bind(b),
                    Arg::Int(i) => query.bind(i),
                    Arg::Int4(i) => query.bind(i),
                };
            }
            // Every row is received and its values counted; none is decoded into a type.
            for row in query.fetch_all($exec).await? {
                $values += row.len();
            }
        }
    };
}

/// One board fetch as the server does it: the token with its owner on the pool, then the
/// membership with the revision on the pool, or the membership and the view in one transaction.
macro_rules! fetch_once {
    ($pool:expr, $sqls:expr, $ids:expr, $fetch:expr) => {{
        let mut values = 0usize;
        run_all!($pool, AUTH, $sqls.auth, $ids, values);
        if $fetch == Fetch::Unchanged {
            run_all!($pool, [MEMBERSHIP_AND_REVISION], $sqls.membership_and_revision, $ids, values);
        } else {
            run_all!($pool, [MEMBERSHIP], $sqls.membership, $ids, values);
            let mut tx = $pool.begin().await?;
            run_all!(&mut *tx, SNAPSHOT, $sqls.snapshot, $ids, values);
            run_all!(&mut *tx, VIEW, $sqls.view, $ids, values);
            tx.commit().await?;
        }
        values
    }};
}

/// One board fetch's statements, ready to run again and again: the pool, their text for its
/// backend, and the values they are run with. Shared by the ceilings measured in this process
/// and by the ceiling server's handler (`ceiling.rs`).
#[derive(Clone)]
pub(crate) struct Fetcher {
    pool: Pool,
    sqls: Arc<Sqls>,
    ids: Arc<Ids>,
}

impl Fetcher {
    /// A pool of `size` connections to `url`, and the statements of a fetch of `board` with the
    /// bearer token `token` (its stored hash and owner read from the database).
    pub(crate) async fn connect(url: &str, size: u32, board: Uuid, token: Uuid) -> anyhow::Result<Self> {
        let pool = Pool::connect(url, size).await?;
        let (token_hash, user) = pool.token_ids(token).await?;
        let sqls = Arc::new(Sqls::new(&pool));
        Ok(Self { pool, sqls, ids: Arc::new(Ids { board, user, token_hash }) })
    }

    /// Its pool, for the other ceilings.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// One board fetch's statements; the number of values received.
    pub(crate) async fn run(&self, what: Fetch) -> anyhow::Result<usize> {
        let (sqls, ids) = (&*self.sqls, &*self.ids);
        Ok(match &self.pool {
            Pool::Postgres(p) => fetch_once!(p, sqls, ids, what),
            Pool::Sqlite(p) => fetch_once!(p, sqls, ids, what),
        })
    }
}

/// One board fetch's statements at `connections` concurrent callers for `seconds`.
pub(crate) async fn measure(fetcher: &Fetcher, what: Fetch, connections: u32, seconds: u64) -> anyhow::Result<Figures> {
    // Warm: prepare every statement on the connections before the clock starts.
    fetcher.run(what).await.context("the database ceiling's statements failed")?;
    let fetcher = fetcher.clone();
    timed(connections, seconds, move || {
        let fetcher = fetcher.clone();
        async move { fetcher.run(what).await.map(drop) }
    })
    .await
}

/// Committed writes at `connections` concurrent callers for `seconds`: each inserts one row
/// into a table of its own (created here) in a transaction of its own.
pub(crate) async fn measure_commits(pool: &Pool, connections: u32, seconds: u64) -> anyhow::Result<Figures> {
    const CREATE: &str = "CREATE TABLE IF NOT EXISTS bench_commits (id TEXT PRIMARY KEY)";
    match pool {
        Pool::Postgres(p) => sqlx::query(CREATE).execute(p).await.map(|_| ())?,
        Pool::Sqlite(p) => sqlx::query(CREATE).execute(p).await.map(|_| ())?,
    }
    let pool = pool.clone();
    timed(connections, seconds, move || {
        let pool = pool.clone();
        async move {
            let id = Uuid::now_v7().to_string();
            match &pool {
                Pool::Postgres(p) => {
                    sqlx::query("INSERT INTO bench_commits (id) VALUES ($1)").bind(id).execute(p).await?;
                }
                Pool::Sqlite(p) => {
                    sqlx::query("INSERT INTO bench_commits (id) VALUES (?)").bind(id).execute(p).await?;
                }
            }
            Ok(())
        }
    })
    .await
}

/// Calls `work` in a loop on `connections` tasks until `seconds` have passed; the latencies.
async fn timed<F, Fut>(connections: u32, seconds: u64, work: F) -> anyhow::Result<Figures>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match work().await {
                        Ok(()) => latencies.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, e) = task.await?;
        all.extend(latencies);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    let pct = |p: usize| all.get((all.len() * p / 100).min(all.len().saturating_sub(1))).copied().unwrap_or(0);
    Ok(Figures {
        requests: all.len() as u64,
        duration_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        status: errors,
        p50_us: pct(50),
        p99_us: pct(99),
        ..Figures::default()
    })
}

#[cfg(test)]
mod tests {
    use super::sqlite_sql;

    #[test]
    fn sqlite_text_has_question_marks_and_a_bare_union_member() {
        assert_eq!(
            sqlite_sql(r#"SELECT "a" FROM "t" WHERE "b" = $1 LIMIT $12"#),
            r#"SELECT "a" FROM "t" WHERE "b" = ? LIMIT ?"#
        );
        assert_eq!(
            sqlite_sql(
                r#"SELECT "a", $1 FROM "t" WHERE "b" IN (SELECT "id" FROM "u" WHERE "c" = $2) UNION ALL (SELECT "d", $3 FROM "v")"#
            ),
            r#"SELECT "a", ? FROM "t" WHERE "b" IN (SELECT "id" FROM "u" WHERE "c" = ?) UNION ALL SELECT "d", ? FROM "v""#
        );
    }
}
