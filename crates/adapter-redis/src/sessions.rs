//! Sessions in Redis: `session:{digest}` holds the session (expiring with it) and
//! `user_sessions:{user}` indexes a user's sessions by public id, for listing and revoking.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use identity::{Session, SessionKey, SessionStore};
use kernel::{Clock, RepoError, SessionId, UserId};
use redis::AsyncCommands as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::pool::{RedisPool, map_redis_err, traced};

/// The production session store.
#[derive(Clone)]
pub struct RedisSessionStore {
    redis: RedisPool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionStore").field("redis", &self.redis).finish_non_exhaustive()
    }
}

/// The stored form; the domain type carries no serde.
#[derive(Serialize, Deserialize)]
struct Stored {
    id: Uuid,
    user_id: Uuid,
    csrf_token: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    idle_expires_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    #[serde(default)]
    sso_provider: Option<String>,
}

impl From<&Session> for Stored {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id.as_uuid(),
            user_id: s.user_id.as_uuid(),
            csrf_token: s.csrf_token.clone(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            idle_expires_at: s.idle_expires_at,
            absolute_expires_at: s.absolute_expires_at,
            client_ip: s.client_ip.clone(),
            user_agent: s.user_agent.clone(),
            sso_provider: s.sso_provider.clone(),
        }
    }
}

impl From<Stored> for Session {
    fn from(s: Stored) -> Self {
        Self {
            id: SessionId::from_uuid(s.id),
            user_id: UserId::from_uuid(s.user_id),
            csrf_token: s.csrf_token,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            idle_expires_at: s.idle_expires_at,
            absolute_expires_at: s.absolute_expires_at,
            client_ip: s.client_ip,
            user_agent: s.user_agent,
            sso_provider: s.sso_provider,
        }
    }
}

fn encode(s: &Session) -> Result<String, RepoError> {
    serde_json::to_string(&Stored::from(s)).map_err(|e| RepoError::Unexpected(e.into()))
}

fn decode(raw: &str) -> Result<Session, RepoError> {
    serde_json::from_str::<Stored>(raw).map(Session::from).map_err(|e| RepoError::Unexpected(e.into()))
}

impl RedisSessionStore {
    /// A store on `redis`; `clock` turns expiry instants into TTLs.
    pub fn new(redis: RedisPool, clock: Arc<dyn Clock>) -> Self {
        Self { redis, clock }
    }

    fn session_key(&self, key: &SessionKey) -> String {
        self.redis.key(&["session", key.as_str()])
    }

    fn index_key(&self, user: UserId) -> String {
        self.redis.key(&["user_sessions", &user.to_string()])
    }

    /// Milliseconds until `at`, at least 1 so that an already-ended session still expires.
    fn ttl_ms(&self, at: DateTime<Utc>) -> u64 {
        u64::try_from((at - self.clock.now()).num_milliseconds()).unwrap_or(0).max(1)
    }
}

#[async_trait::async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, key: &SessionKey, session: &Session) -> Result<(), RepoError> {
        traced("MULTI", async {
            let mut conn = self.redis.conn().await?;
            let index = self.index_key(session.user_id);
            let ttl = self.ttl_ms(session.expires_at());
            let index_ttl = self.ttl_ms(session.absolute_expires_at);
            redis::pipe()
                .atomic()
                .cmd("SET")
                .arg(self.session_key(key))
                .arg(encode(session)?)
                .arg("PX")
                .arg(ttl)
                .ignore()
                .hset(&index, session.id.to_string(), key.as_str())
                .ignore()
                // The index lives as long as the longest session in it.
                .cmd("PEXPIRE")
                .arg(&index)
                .arg(index_ttl)
                .arg("GT")
                .ignore()
                .cmd("PEXPIRE")
                .arg(&index)
                .arg(index_ttl)
                .arg("NX")
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| map_redis_err(&e))
        })
        .await
    }

    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, RepoError> {
        traced("GET", async {
            let mut conn = self.redis.conn().await?;
            let raw: Option<String> = conn.get(self.session_key(key)).await.map_err(|e| map_redis_err(&e))?;
            raw.as_deref().map(decode).transpose()
        })
        .await
    }

    async fn touch(&self, key: &SessionKey, session: &Session) -> Result<(), RepoError> {
        traced("SET", async {
            let mut conn = self.redis.conn().await?;
            let ttl = self.ttl_ms(session.expires_at());
            let written: Option<String> = redis::cmd("SET")
                .arg(self.session_key(key))
                .arg(encode(session)?)
                .arg("PX")
                .arg(ttl)
                .arg("XX")
                .query_async(&mut conn)
                .await
                .map_err(|e| map_redis_err(&e))?;
            if written.is_some() { Ok(()) } else { Err(RepoError::NotFound) }
        })
        .await
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), RepoError> {
        traced("GET", async {
            let mut conn = self.redis.conn().await?;
            let raw: Option<String> = conn.get(self.session_key(key)).await.map_err(|e| map_redis_err(&e))?;
            let Some(session) = raw.as_deref().map(decode).transpose()? else { return Ok(()) };
            redis::pipe()
                .atomic()
                .del(self.session_key(key))
                .ignore()
                .hdel(self.index_key(session.user_id), session.id.to_string())
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| map_redis_err(&e))
        })
        .await
    }

    async fn list_for_user(&self, user: UserId) -> Result<Vec<Session>, RepoError> {
        traced("HGETALL", async {
            let mut conn = self.redis.conn().await?;
            let index = self.index_key(user);
            let entries: HashMap<String, String> = conn.hgetall(&index).await.map_err(|e| map_redis_err(&e))?;
            if entries.is_empty() {
                return Ok(Vec::new());
            }
            let (ids, keys): (Vec<String>, Vec<String>) =
                entries.into_iter().map(|(id, key)| (id, self.redis.key(&["session", &key]))).unzip();
            let raws: Vec<Option<String>> = conn.mget(&keys).await.map_err(|e| map_redis_err(&e))?;
            let mut sessions = Vec::with_capacity(raws.len());
            let mut gone = Vec::new();
            for (id, raw) in ids.into_iter().zip(raws) {
                match raw {
                    Some(raw) => sessions.push(decode(&raw)?),
                    None => gone.push(id),
                }
            }
            if !gone.is_empty() {
                let _: () = conn.hdel(&index, gone).await.map_err(|e| map_redis_err(&e))?;
            }
            sessions.sort_by_key(|s| std::cmp::Reverse(s.id));
            Ok(sessions)
        })
        .await
    }

    async fn delete_by_id(&self, user: UserId, id: SessionId) -> Result<(), RepoError> {
        traced("HGET", async {
            let mut conn = self.redis.conn().await?;
            let index = self.index_key(user);
            let key: Option<String> = conn.hget(&index, id.to_string()).await.map_err(|e| map_redis_err(&e))?;
            let Some(key) = key else { return Err(RepoError::NotFound) };
            let (deleted,): (u64,) = redis::pipe()
                .atomic()
                .del(self.redis.key(&["session", &key]))
                .hdel(&index, id.to_string())
                .ignore()
                .query_async(&mut conn)
                .await
                .map_err(|e| map_redis_err(&e))?;
            if deleted == 0 { Err(RepoError::NotFound) } else { Ok(()) }
        })
        .await
    }

    async fn delete_all_for_user(&self, user: UserId) -> Result<(), RepoError> {
        traced("HVALS", async {
            let mut conn = self.redis.conn().await?;
            let index = self.index_key(user);
            let keys: Vec<String> = conn.hvals(&index).await.map_err(|e| map_redis_err(&e))?;
            let mut doomed: Vec<String> = keys.iter().map(|k| self.redis.key(&["session", k])).collect();
            doomed.push(index);
            let _: () = conn.del(doomed).await.map_err(|e| map_redis_err(&e))?;
            Ok(())
        })
        .await
    }
}
