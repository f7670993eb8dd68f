//! Idempotency records in Redis, shared by every instance: `idempotency:{key}` holds
//! `p:{fingerprint}` while a request holds the key (expiring with its lease) and then
//! `d:{fingerprint}\n{record}` (expiring with the record).

use std::time::Duration;

use kernel::{Claim, IdempotencyStore, RepoError};

use crate::pool::{RedisPool, map_redis_err, traced};

/// Deletes the key only while it is still held for the given fingerprint: a release after the
/// lease ran out must not remove a later holder or a record.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/// Idempotency records in Redis.
#[derive(Clone, Debug)]
pub struct RedisIdempotencyStore {
    redis: RedisPool,
}

impl RedisIdempotencyStore {
    /// A store on `redis`.
    pub fn new(redis: RedisPool) -> Self {
        Self { redis }
    }

    fn key(&self, key: &str) -> String {
        self.redis.key(&["idempotency", key])
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// What a stored value says about a request with `fingerprint`.
fn judge(stored: &[u8], fingerprint: &str) -> Result<Claim, RepoError> {
    let bad = || RepoError::Unexpected(anyhow::anyhow!("unreadable idempotency record"));
    match stored.split_first() {
        Some((b'p', rest)) => {
            let held_for = rest.strip_prefix(b":").ok_or_else(bad)?;
            Ok(if held_for == fingerprint.as_bytes() { Claim::InFlight } else { Claim::Mismatch })
        }
        Some((b'd', rest)) => {
            let rest = rest.strip_prefix(b":").ok_or_else(bad)?;
            let newline = rest.iter().position(|b| *b == b'\n').ok_or_else(bad)?;
            let (answered_for, record) = (&rest[..newline], &rest[newline + 1..]);
            Ok(if answered_for == fingerprint.as_bytes() { Claim::Completed(record.to_vec()) } else { Claim::Mismatch })
        }
        _ => Err(bad()),
    }
}

#[async_trait::async_trait]
impl IdempotencyStore for RedisIdempotencyStore {
    async fn claim(&self, key: &str, fingerprint: &str, lease: Duration) -> Result<Claim, RepoError> {
        traced("SET", async {
            let mut conn = self.redis.conn().await?;
            let key = self.key(key);
            // The key may expire between the two commands: then take it again.
            for _ in 0..3 {
                let taken: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg(format!("p:{fingerprint}"))
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(lease))
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| map_redis_err(&e))?;
                if taken.is_some() {
                    return Ok(Claim::Acquired);
                }
                let stored: Option<Vec<u8>> =
                    redis::cmd("GET").arg(&key).query_async(&mut conn).await.map_err(|e| map_redis_err(&e))?;
                if let Some(stored) = stored {
                    return judge(&stored, fingerprint);
                }
            }
            Err(RepoError::Unavailable("the idempotency key kept changing hands".into()))
        })
        .await
    }

    async fn complete(&self, key: &str, fingerprint: &str, record: &[u8], ttl: Duration) -> Result<(), RepoError> {
        traced("SET", async {
            let mut conn = self.redis.conn().await?;
            let mut value = format!("d:{fingerprint}\n").into_bytes();
            value.extend_from_slice(record);
            redis::cmd("SET")
                .arg(self.key(key))
                .arg(value)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| map_redis_err(&e))
        })
        .await
    }

    async fn release(&self, key: &str, fingerprint: &str) -> Result<(), RepoError> {
        traced("EVALSHA", async {
            let mut conn = self.redis.conn().await?;
            redis::Script::new(RELEASE)
                .key(self.key(key))
                .arg(format!("p:{fingerprint}"))
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(|e| map_redis_err(&e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_are_judged_by_their_fingerprint() {
        assert_eq!(judge(b"p:abc", "abc").unwrap(), Claim::InFlight);
        assert_eq!(judge(b"p:abc", "abd").unwrap(), Claim::Mismatch);
        assert_eq!(judge(b"d:abc\n{\"a\":1}\n", "abc").unwrap(), Claim::Completed(b"{\"a\":1}\n".to_vec()));
        assert_eq!(judge(b"d:abc\nx", "zzz").unwrap(), Claim::Mismatch);
        for bad in [&b""[..], b"x:abc", b"dabc\nx", b"d:abc"] {
            assert!(judge(bad, "abc").is_err(), "{bad:?}");
        }
    }
}
