//! Sessions in a map. Lost on restart: the embedded server keeps its sessions in SQL instead;
//! this store serves tests and single-process setups that want no database writes per sign-in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use identity::{Session, SessionKey, SessionStore};
use kernel::{Clock, RepoError, SessionId, UserId};

/// Sessions in memory.
#[derive(Clone)]
pub struct MemorySessionStore {
    sessions: Arc<Mutex<HashMap<SessionKey, Session>>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySessionStore").finish_non_exhaustive()
    }
}

impl MemorySessionStore {
    /// An empty store; `clock` decides which sessions have ended and may be dropped.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { sessions: Arc::default(), clock }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<SessionKey, Session>) -> T) -> T {
        let mut map = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessionStore {
    async fn create(&self, key: &SessionKey, session: &Session) -> Result<(), RepoError> {
        let now = self.clock.now();
        self.with(|map| {
            map.retain(|_, s| s.expires_at() > now);
            map.insert(key.clone(), session.clone());
        });
        Ok(())
    }

    async fn get(&self, key: &SessionKey) -> Result<Option<Session>, RepoError> {
        Ok(self.with(|map| map.get(key).cloned()))
    }

    async fn touch(&self, key: &SessionKey, session: &Session) -> Result<(), RepoError> {
        self.with(|map| match map.get_mut(key) {
            Some(stored) => {
                *stored = session.clone();
                Ok(())
            }
            None => Err(RepoError::NotFound),
        })
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), RepoError> {
        self.with(|map| map.remove(key));
        Ok(())
    }

    async fn list_for_user(&self, user: UserId) -> Result<Vec<Session>, RepoError> {
        let mut sessions: Vec<Session> = self.with(|map| map.values().filter(|s| s.user_id == user).cloned().collect());
        sessions.sort_by_key(|s| std::cmp::Reverse(s.id));
        Ok(sessions)
    }

    async fn delete_by_id(&self, user: UserId, id: SessionId) -> Result<(), RepoError> {
        self.with(|map| {
            let before = map.len();
            map.retain(|_, s| !(s.user_id == user && s.id == id));
            if map.len() < before { Ok(()) } else { Err(RepoError::NotFound) }
        })
    }

    async fn delete_all_for_user(&self, user: UserId) -> Result<(), RepoError> {
        self.with(|map| map.retain(|_, s| s.user_id != user));
        Ok(())
    }
}
