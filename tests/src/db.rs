//! A fresh, migrated database per test.

use adapter_redis::RedisPool;
use adapter_sea_orm::Db;
use adapter_sea_orm::SeaIdentityStore;
use identity::{DisplayName, Email, IdentityStore as _, Role, User, UserStatus};
use kernel::{Clock as _, SystemClock, UserId, Version};
use sea_orm::{ConnectionTrait as _, Database, Statement};
use sea_orm_migration::MigratorTrait as _;
use std::time::Duration;

use crate::in_ci;

/// Which backend a test database runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on `TEST_DATABASE_URL`'s server.
    Postgres,
}

/// A migrated database that disappears with the value.
pub struct TestDb {
    /// The backend.
    pub backend: Backend,
    /// Its URL (to start the server on it).
    pub url: String,
    /// A pool on it.
    pub db: Db,
    _cleanup: Option<PgDrop>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("backend", &self.backend).field("url", &self.url).finish_non_exhaustive()
    }
}

impl TestDb {
    /// `SELECT COUNT(*) FROM {from}`: a table, optionally followed by a `WHERE` clause the
    /// test writes itself.
    pub async fn count(&self, from: &str) -> i64 {
        let conn = self.db.conn();
        let sql = format!("SELECT COUNT(*) AS n FROM {from}");
        let row = conn.query_one(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Inserts `n` active members with unique emails, in one transaction.
    pub async fn insert_users(&self, n: usize) -> Vec<UserId> {
        let store = SeaIdentityStore::new(self.db.clone());
        let tx = store.begin().await.unwrap();
        let now = SystemClock.now();
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let id = UserId::from_uuid(uuid::Uuid::now_v7());
            let user = User {
                id,
                email: Email::parse(&format!("{}@x.io", id.as_uuid().simple())).unwrap(),
                display_name: DisplayName::parse("Someone").unwrap(),
                role: Role::Member,
                status: UserStatus::Active,
                password_hash: None,
                version: Version::FIRST,
                created_at: now,
                updated_at: now,
            };
            tx.insert_user(&user).await.unwrap();
            ids.push(id);
        }
        tx.commit().await.unwrap();
        ids
    }

    /// A fresh database on `backend`, or `None` when that backend is not configured (outside
    /// CI only).
    pub async fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => Some(sqlite().await),
            Backend::Postgres => postgres().await,
        }
    }
}

/// One fresh database per configured backend: SQLite always, PostgreSQL when configured.
pub async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(postgres().await);
    dbs
}

async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    let db = Db::connect(&url, 1, Duration::from_secs(5)).await.expect("sqlite opens");
    migrations::Migrator::up(db.conn(), None).await.expect("sqlite migrates");
    TestDb { backend: Backend::Sqlite, url, db, _cleanup: None, _dir: Some(dir) }
}

fn configured(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(!in_ci(), "{var} must be set under CI=true: the suite never skips a backend in CI");
            None
        }
    }
}

async fn postgres() -> Option<TestDb> {
    let admin_url = configured("TEST_DATABASE_URL")?;
    let admin = Database::connect(admin_url.as_str())
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    let name = format!("cb_test_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let url = replace_db_name(&admin_url, &name);
    let db = Db::connect(&url, 4, Duration::from_secs(10)).await.expect("test database opens");
    migrations::Migrator::up(db.conn(), None).await.expect("postgres migrates");
    Some(TestDb { backend: Backend::Postgres, url, db, _cleanup: Some(PgDrop { admin_url, name }), _dir: None })
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Drops the test database when the test ends, from a thread of its own (Drop cannot await).
struct PgDrop {
    admin_url: String,
    name: String,
}

impl Drop for PgDrop {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(admin) = Database::connect(url.as_str()).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A Redis pool with a key prefix of its own, or `None` when `TEST_REDIS_URL` is not set
/// (outside CI only).
pub async fn redis_pool() -> Option<RedisPool> {
    let url = configured("TEST_REDIS_URL")?;
    let prefix = format!("cbtest:{}:", uuid::Uuid::new_v4().simple());
    Some(
        RedisPool::connect(&url, &prefix)
            .await
            .unwrap_or_else(|e| panic!("TEST_REDIS_URL is set but Redis is unreachable: {e:#}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_keeping_the_query() {
        assert_eq!(replace_db_name("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(replace_db_name("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
