//! Rendered dashboards in Redis, shared by every instance: `dashboard:{user}` holds the entry
//! and expires with it.
//!
//! An entry is bytes: a format byte, the stamp's three parts (big-endian `u64`s), the tag's
//! length (one byte) and the tag, then the body as rendered. No JSON around JSON: the body is
//! served as stored.

use std::time::Duration;

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use dashboard::{DashboardCache, Rendered, Stamp};
use kernel::{RepoError, UserId};

use crate::pool::{RedisPool, map_redis_err, traced};

/// The layout below; a reader that finds another refuses the entry.
const FORMAT: u8 = 1;

/// Dashboards in Redis.
#[derive(Clone, Debug)]
pub struct RedisDashboardCache {
    redis: RedisPool,
}

impl RedisDashboardCache {
    /// A cache on `redis`.
    pub fn new(redis: RedisPool) -> Self {
        Self { redis }
    }

    fn key(&self, user: UserId) -> String {
        self.redis.key(&["dashboard", &user.to_string()])
    }
}

fn encode(r: &Rendered) -> Result<Vec<u8>, RepoError> {
    let tag_len = u8::try_from(r.tag.len()).map_err(|_| RepoError::Unexpected(anyhow::anyhow!("tag too long")))?;
    let mut out = BytesMut::with_capacity(1 + 24 + 1 + r.tag.len() + r.body.len());
    out.put_u8(FORMAT);
    out.put_u64(r.stamp.boards);
    out.put_u64(r.stamp.board_revisions);
    out.put_u64(r.stamp.personal);
    out.put_u8(tag_len);
    out.put_slice(r.tag.as_bytes());
    out.put_slice(&r.body);
    Ok(out.to_vec())
}

fn decode(raw: Vec<u8>) -> Result<Rendered, RepoError> {
    let bad = |why: &str| RepoError::Unexpected(anyhow::anyhow!("unreadable dashboard entry: {why}"));
    let mut buf = Bytes::from(raw);
    if buf.remaining() < 26 || buf.get_u8() != FORMAT {
        return Err(bad("unknown format"));
    }
    let stamp = Stamp { boards: buf.get_u64(), board_revisions: buf.get_u64(), personal: buf.get_u64() };
    let tag_len = usize::from(buf.get_u8());
    if buf.remaining() < tag_len {
        return Err(bad("cut short"));
    }
    let tag = String::from_utf8(buf.split_to(tag_len).to_vec()).map_err(|_| bad("tag is not text"))?;
    Ok(Rendered { stamp, tag, body: buf })
}

#[async_trait::async_trait]
impl DashboardCache for RedisDashboardCache {
    async fn get(&self, user: UserId) -> Result<Option<Rendered>, RepoError> {
        traced("GET", async {
            let mut conn = self.redis.conn().await?;
            let raw: Option<Vec<u8>> =
                redis::cmd("GET").arg(self.key(user)).query_async(&mut conn).await.map_err(|e| map_redis_err(&e))?;
            raw.map(decode).transpose()
        })
        .await
    }

    async fn put(&self, user: UserId, rendered: &Rendered, ttl: Duration) -> Result<(), RepoError> {
        traced("SET", async {
            let mut conn = self.redis.conn().await?;
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            redis::cmd("SET")
                .arg(self.key(user))
                .arg(encode(rendered)?)
                .arg("PX")
                .arg(ms)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| map_redis_err(&e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_back_as_written() {
        let stamp = Stamp { boards: 3, board_revisions: u64::MAX - 1, personal: 17 };
        let rendered = Rendered::new(stamp, Bytes::from_static(b"{\"boards\":{}}"));
        assert_eq!(decode(encode(&rendered).unwrap()).unwrap(), rendered);
    }

    #[test]
    fn a_foreign_or_cut_entry_is_refused() {
        let rendered = Rendered::new(Stamp::default(), Bytes::from_static(b"{}"));
        let mut raw = encode(&rendered).unwrap();
        raw[0] = 9;
        assert!(decode(raw).is_err());
        let raw = encode(&rendered).unwrap();
        assert!(decode(raw[..30].to_vec()).is_err());
        assert!(decode(Vec::new()).is_err());
    }
}
