//! One contract for `SessionStore`: SQL (SQLite, PostgreSQL), Redis and memory.

use std::sync::Arc;

use adapter_memory::MemorySessionStore;
use adapter_redis::RedisSessionStore;
use adapter_sea_orm::{SeaIdentityStore, SeaSessionStore};
use chrono::{Duration, TimeZone as _, Utc};
use corkboard_tests::{databases, redis_pool};
use identity::{DisplayName, Email, IdentityStore as _, Role, Session, SessionKey, SessionStore, User, UserStatus};
use kernel::{Clock, RepoError, SessionId, SystemClock, UserId, Version};
use uuid::Uuid;

/// A store under test: its name, the store, users that exist in it (the SQL store has a foreign
/// key), and the database to keep alive while the test runs.
type Subject = (String, Arc<dyn SessionStore>, Vec<UserId>, Vec<corkboard_tests::TestDb>);

async fn stores() -> Vec<Subject> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut out: Vec<Subject> = Vec::new();
    for db in databases().await {
        let users = vec![insert_user(&db, "a@x.io").await, insert_user(&db, "b@x.io").await];
        let store = Arc::new(SeaSessionStore::new(db.db.clone(), clock.clone()));
        out.push((format!("sql/{:?}", db.backend), store, users, vec![db]));
    }
    let ids = vec![UserId::from_uuid(Uuid::now_v7()), UserId::from_uuid(Uuid::now_v7())];
    out.push(("memory".into(), Arc::new(MemorySessionStore::new(clock.clone())), ids.clone(), vec![]));
    if let Some(pool) = redis_pool().await {
        out.push(("redis".into(), Arc::new(RedisSessionStore::new(pool, clock.clone())), ids, vec![]));
    }
    out
}

async fn insert_user(db: &corkboard_tests::TestDb, email: &str) -> UserId {
    let now = Utc::now();
    let user = User {
        id: UserId::from_uuid(Uuid::now_v7()),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("T").unwrap(),
        role: Role::Member,
        status: UserStatus::Active,
        password_hash: None,
        version: Version::FIRST,
        created_at: now,
        updated_at: now,
    };
    let store = SeaIdentityStore::new(db.db.clone());
    let tx = store.begin().await.unwrap();
    tx.insert_user(&user).await.unwrap();
    tx.commit().await.unwrap();
    user.id
}

fn session(user: UserId) -> Session {
    let now = Utc.timestamp_micros(Utc::now().timestamp_micros()).unwrap();
    Session {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id: user,
        csrf_token: "csrf".into(),
        created_at: now,
        last_seen_at: now,
        idle_expires_at: now + Duration::hours(1),
        absolute_expires_at: now + Duration::days(1),
        client_ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        sso_provider: Some("corp".into()),
    }
}

#[tokio::test]
async fn created_session_reads_back_identically_and_deletes() {
    for (name, store, users, _keep) in stores().await {
        let key = SessionKey::from_secret(&format!("secret-{name}"));
        let s = session(users[0]);
        store.create(&key, &s).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Some(s.clone()), "{name}");
        store.delete(&key).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), None, "{name}");
        store.delete(&key).await.unwrap_or_else(|e| panic!("{name}: deleting twice must succeed: {e}"));
    }
}

#[tokio::test]
async fn touch_updates_activity_and_fails_for_missing_sessions() {
    for (name, store, users, _keep) in stores().await {
        let key = SessionKey::from_secret("touch");
        let mut s = session(users[0]);
        store.create(&key, &s).await.unwrap();
        s.last_seen_at += Duration::minutes(5);
        s.idle_expires_at += Duration::minutes(5);
        store.touch(&key, &s).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap().map(|g| g.idle_expires_at), Some(s.idle_expires_at), "{name}");
        let missing = store.touch(&SessionKey::from_secret("nope"), &s).await;
        assert!(matches!(missing, Err(RepoError::NotFound)), "{name}: {missing:?}");
    }
}

#[tokio::test]
async fn list_and_revoke_by_id_are_scoped_to_the_owner() {
    for (name, store, users, _keep) in stores().await {
        let (a1, a2, b1) = (session(users[0]), session(users[0]), session(users[1]));
        store.create(&SessionKey::from_secret("a1"), &a1).await.unwrap();
        store.create(&SessionKey::from_secret("a2"), &a2).await.unwrap();
        store.create(&SessionKey::from_secret("b1"), &b1).await.unwrap();
        let listed: Vec<SessionId> = store.list_for_user(users[0]).await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(listed, vec![a2.id, a1.id], "{name}: newest first, only the owner's");
        let foreign = store.delete_by_id(users[0], b1.id).await;
        assert!(matches!(foreign, Err(RepoError::NotFound)), "{name}: another user's session is not found");
        assert!(store.get(&SessionKey::from_secret("b1")).await.unwrap().is_some(), "{name}");
        store.delete_by_id(users[0], a1.id).await.unwrap();
        assert!(store.get(&SessionKey::from_secret("a1")).await.unwrap().is_none(), "{name}");
        store.delete_all_for_user(users[0]).await.unwrap();
        assert!(store.list_for_user(users[0]).await.unwrap().is_empty(), "{name}");
        assert_eq!(store.list_for_user(users[1]).await.unwrap().len(), 1, "{name}");
    }
}
