//! Identity's use cases.

mod auth;
mod sso;
mod tokens;
mod users;

use std::sync::Arc;

use kernel::{Actor, Changes, Clock, DomainEvent, IdGen, RequestMeta};
use uuid::Uuid;

pub use auth::{Authenticated, Credential, LoginOutcome};
pub use sso::{SSO_ATTEMPT_TTL, SsoStart};

use crate::model::SessionPolicy;
use crate::ports::{IdentityStore, PasswordHasher, SessionStore};
use crate::{IdentityError, ports::IdentityTx};

/// Users, sign-in, sessions and tokens.
#[derive(Clone)]
pub struct IdentityService {
    store: Arc<dyn IdentityStore>,
    sessions: Arc<dyn SessionStore>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    policy: SessionPolicy,
    password_login: bool,
    sso: Option<sso::Sso>,
}

impl std::fmt::Debug for IdentityService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityService").field("policy", &self.policy).finish_non_exhaustive()
    }
}

/// An event about to be recorded: what the use case knows; the service adds id, time and who.
pub(crate) struct EventDraft {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    pub changes: Changes,
}

impl IdentityService {
    /// Wires the service to its ports.
    pub fn new(
        store: Arc<dyn IdentityStore>,
        sessions: Arc<dyn SessionStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Self {
        Self { store, sessions, hasher, clock, ids, policy: SessionPolicy::default(), password_login: true, sso: None }
    }

    /// Overrides the session lifetimes.
    #[must_use]
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Turns local password sign-in on or off.
    #[must_use]
    pub fn with_password_login(mut self, enabled: bool) -> Self {
        self.password_login = enabled;
        self
    }

    /// Whether local password sign-in is on.
    pub fn password_login_enabled(&self) -> bool {
        self.password_login
    }

    fn event(&self, actor: Actor, meta: &RequestMeta, draft: EventDraft) -> DomainEvent {
        DomainEvent {
            id: self.ids.new_id(),
            occurred_at: self.clock.now(),
            actor,
            action: draft.action,
            resource_type: draft.resource_type,
            resource_id: draft.resource_id,
            board_id: None,
            changes: draft.changes,
            meta: meta.clone(),
        }
    }

    /// Records one event in `tx` and commits it.
    async fn record_and_commit(
        &self,
        tx: Box<dyn IdentityTx>,
        actor: Actor,
        meta: &RequestMeta,
        draft: EventDraft,
    ) -> Result<(), IdentityError> {
        tx.record(&self.event(actor, meta, draft)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an event in a unit of work of its own (sign-in outcomes, session changes:
    /// facts whose state lives outside the SQL transaction).
    async fn record_alone(&self, actor: Actor, meta: &RequestMeta, draft: EventDraft) -> Result<(), IdentityError> {
        let tx = self.store.begin().await?;
        self.record_and_commit(tx, actor, meta, draft).await
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use kernel::{ManualClock, SequentialIds, UserId, Version};

    use super::IdentityService;
    use crate::model::{DisplayName, Email, PasswordHash, Role, User, UserStatus};
    use crate::ports::{MockIdentityStore, MockPasswordHasher, MockSessionStore};

    pub(crate) struct Mocks {
        pub store: MockIdentityStore,
        pub sessions: MockSessionStore,
        pub hasher: MockPasswordHasher,
        pub clock: Arc<ManualClock>,
    }

    impl Mocks {
        pub(crate) fn new() -> Self {
            Self {
                store: MockIdentityStore::new(),
                sessions: MockSessionStore::new(),
                hasher: MockPasswordHasher::new(),
                clock: Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap())),
            }
        }

        pub(crate) fn service(self) -> IdentityService {
            IdentityService::new(
                Arc::new(self.store),
                Arc::new(self.sessions),
                Arc::new(self.hasher),
                self.clock,
                Arc::new(SequentialIds::default()),
            )
        }
    }

    /// A fresh id for tests (ids come from the `IdGen` port, never from the system).
    pub(crate) fn id() -> uuid::Uuid {
        use kernel::IdGen as _;
        static IDS: std::sync::LazyLock<SequentialIds> = std::sync::LazyLock::new(SequentialIds::default);
        IDS.new_id()
    }

    pub(crate) fn session(user: UserId) -> crate::model::Session {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        crate::model::Session {
            id: kernel::SessionId::from_uuid(id()),
            user_id: user,
            csrf_token: "csrf".into(),
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + chrono::Duration::hours(1),
            absolute_expires_at: now + chrono::Duration::days(1),
            client_ip: None,
            user_agent: None,
            sso_provider: None,
        }
    }

    pub(crate) fn user(role: Role) -> User {
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        User {
            id: UserId::from_uuid(id()),
            email: Email::parse("ann@example.com").unwrap(),
            display_name: DisplayName::parse("Ann").unwrap(),
            role,
            status: UserStatus::Active,
            password_hash: Some(PasswordHash::from_phc("$argon2id$stored".into())),
            version: Version::FIRST,
            created_at: at,
            updated_at: at,
        }
    }
}
