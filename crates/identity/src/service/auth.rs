//! Sign-in, sign-out, and recognising a caller from a cookie or a bearer token.

use chrono::Duration;
use kernel::{Actor, Caller, Changes, Page, PageRequest, RepoError, RequestMeta, SessionId, UserId};
use uuid::Uuid;

use super::{EventDraft, IdentityService};
use crate::IdentityError;
use crate::model::{AccessToken, Email, NewSession, Password, Session, SessionKey, User, UserStatus};
use crate::secret::{hash_secret, random_secret};

/// Activity is written back at most this often, so reads do not turn into writes.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

/// What a request presented.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// The session cookie's value.
    Session(&'a str),
    /// A bearer personal access token.
    Token(&'a str),
}

/// A recognised caller.
#[derive(Debug, Clone)]
pub enum Authenticated {
    /// Through a browser session.
    Session {
        /// The user.
        user: User,
        /// The live session.
        session: Session,
    },
    /// Through a personal access token.
    Token {
        /// The token's owner.
        user: User,
        /// The token.
        token: AccessToken,
    },
}

impl Authenticated {
    /// The user.
    pub fn user(&self) -> &User {
        match self {
            Self::Session { user, .. } | Self::Token { user, .. } => user,
        }
    }

    /// The caller handed to use cases.
    pub fn caller(&self, meta: RequestMeta) -> Caller {
        let user = self.user();
        let actor = match self {
            Self::Session { .. } => Actor::User(user.id),
            Self::Token { token, .. } => Actor::Token { user: user.id, token: token.id },
        };
        Caller { user_id: user.id, is_admin: user.is_active_admin(), actor, meta }
    }
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// Who signed in.
    pub user: User,
    /// The new session; its secret goes into the cookie.
    pub session: NewSession,
}

impl IdentityService {
    /// Signs in with email and password. Unknown email, wrong password and disabled account
    /// give the same answer after the same work. `previous` is the cookie the browser already
    /// had, which is revoked so that a session id never survives sign-in (rotation).
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, IdentityError> {
        if !self.password_login {
            return Err(IdentityError::PasswordLoginDisabled);
        }
        let email = Email::parse(email).ok();
        let user = match &email {
            Some(e) => self.store.find_user_by_email(e).await?,
            None => None,
        };
        let verified = match Password::candidate(password) {
            Some(pw) => self.hasher.verify(&pw, user.as_ref().and_then(|u| u.password_hash.clone())).await,
            None => false,
        };
        let user = match user {
            Some(u) if verified && u.status == UserStatus::Active => u,
            other => {
                let draft = EventDraft {
                    action: "auth.login_failed",
                    resource_type: "user",
                    resource_id: other.map_or(Uuid::nil(), |u| u.id.as_uuid()),
                    changes: Changes::new().set("email", email.map(|e| e.to_string())),
                };
                self.record_alone(Actor::Anonymous, meta, draft).await?;
                return Err(IdentityError::InvalidCredentials);
            }
        };
        if let Some(old) = previous {
            self.sessions.delete(&SessionKey::from_secret(old)).await?;
        }
        let session = self.start_session(&user, meta, None).await?;
        let draft = EventDraft {
            action: "auth.login_succeeded",
            resource_type: "session",
            resource_id: session.session.id.as_uuid(),
            changes: Changes::new().set("method", "password"),
        };
        self.record_alone(Actor::User(user.id), meta, draft).await?;
        Ok(LoginOutcome { user, session })
    }

    pub(super) async fn start_session(
        &self,
        user: &User,
        meta: &RequestMeta,
        sso_provider: Option<&str>,
    ) -> Result<NewSession, IdentityError> {
        let now = self.clock.now();
        let secret = random_secret();
        let session = Session {
            id: SessionId::from_uuid(self.ids.new_id()),
            user_id: user.id,
            csrf_token: random_secret(),
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + self.policy.idle_timeout,
            absolute_expires_at: now + self.policy.absolute_timeout,
            client_ip: meta.client_ip.clone(),
            user_agent: meta.user_agent.clone(),
            sso_provider: sso_provider.map(str::to_owned),
        };
        self.sessions.create(&SessionKey::from_secret(&secret), &session).await?;
        Ok(NewSession { session, secret })
    }

    /// Ends the session behind `secret`.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err)]
    pub async fn logout(&self, secret: &str, caller: &Caller) -> Result<(), IdentityError> {
        let key = SessionKey::from_secret(secret);
        let Some(session) = self.sessions.get(&key).await? else {
            return Ok(());
        };
        self.sessions.delete(&key).await?;
        let draft = EventDraft {
            action: "auth.logout",
            resource_type: "session",
            resource_id: session.id.as_uuid(),
            changes: Changes::new(),
        };
        self.record_alone(caller.actor, &caller.meta, draft).await
    }

    /// Recognises the caller behind a cookie or a token; `None` when it is unknown, expired,
    /// revoked, or its user is disabled.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err)]
    pub async fn authenticate(&self, credential: Credential<'_>) -> Result<Option<Authenticated>, IdentityError> {
        let now = self.clock.now();
        match credential {
            Credential::Session(secret) => {
                let key = SessionKey::from_secret(secret);
                let Some(mut session) = self.sessions.get(&key).await? else { return Ok(None) };
                if session.is_expired(now) {
                    self.sessions.delete(&key).await?;
                    return Ok(None);
                }
                let Some(user) = self.active_user(session.user_id).await? else { return Ok(None) };
                if now - session.last_seen_at >= TOUCH_INTERVAL {
                    session.last_seen_at = now;
                    session.idle_expires_at = (now + self.policy.idle_timeout).min(session.absolute_expires_at);
                    match self.sessions.touch(&key, &session).await {
                        // Signed out or revoked while this request was on its way.
                        Err(RepoError::NotFound) => return Ok(None),
                        other => other?,
                    }
                }
                Ok(Some(Authenticated::Session { user, session }))
            }
            Credential::Token(secret) => {
                let Some((mut token, user)) = self.store.find_token_by_hash(&hash_secret(secret)).await? else {
                    return Ok(None);
                };
                if token.is_expired(now) || user.status != UserStatus::Active {
                    return Ok(None);
                }
                if token.last_used_at.is_none_or(|at| now - at >= TOUCH_INTERVAL) {
                    self.store.touch_token(token.id, now).await?;
                    token.last_used_at = Some(now);
                }
                Ok(Some(Authenticated::Token { user, token }))
            }
        }
    }

    async fn active_user(&self, id: UserId) -> Result<Option<User>, IdentityError> {
        match self.store.get_user(id).await {
            Ok(user) if user.status == UserStatus::Active => Ok(Some(user)),
            Ok(_) | Err(RepoError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller's live sessions, newest first.
    pub async fn list_sessions(&self, caller: &Caller, page: PageRequest) -> Result<Page<Session>, IdentityError> {
        let now = self.clock.now();
        let mut sessions: Vec<Session> =
            self.sessions.list_for_user(caller.user_id).await?.into_iter().filter(|s| !s.is_expired(now)).collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.id));
        if let Some(after) = page.after() {
            sessions.retain(|s| s.id.as_uuid() < after);
        }
        sessions.truncate(page.fetch_limit().try_into().unwrap_or(usize::MAX));
        Ok(Page::from_overfetch(sessions, page, |s| s.id.as_uuid()))
    }

    /// Revokes one of the caller's sessions.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn revoke_session(&self, caller: &Caller, id: SessionId) -> Result<(), IdentityError> {
        self.sessions.delete_by_id(caller.user_id, id).await?;
        let draft = EventDraft {
            action: "session.revoked",
            resource_type: "session",
            resource_id: id.as_uuid(),
            changes: Changes::new(),
        };
        self.record_alone(caller.actor, &caller.meta, draft).await
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::always;

    use super::*;
    use crate::model::Role;
    use crate::ports::MockIdentityTx;
    use crate::service::test_support::{self, Mocks, user};
    use kernel::Clock as _;

    fn tx_expecting(action: &'static str) -> Box<dyn crate::ports::IdentityTx> {
        let mut tx = MockIdentityTx::new();
        tx.expect_record().withf(move |e| e.action == action).times(1).returning(|_| Ok(()));
        tx.expect_commit().times(1).returning(|| Ok(()));
        Box::new(tx)
    }

    #[tokio::test]
    async fn unknown_email_and_wrong_password_get_the_same_answer_and_an_audit_event() {
        for known in [false, true] {
            let mut m = Mocks::new();
            let u = user(Role::Member);
            m.store.expect_find_user_by_email().returning(move |_| Ok(known.then(|| u.clone())));
            m.hasher.expect_verify().times(1).returning(|_, _| false);
            m.store.expect_begin().times(1).returning(|| Ok(tx_expecting("auth.login_failed")));
            m.sessions.expect_create().never();
            let err = m.service().login("ann@example.com", "wrong password", None, &RequestMeta::default()).await;
            assert!(matches!(err, Err(IdentityError::InvalidCredentials)), "known={known}");
        }
    }

    #[tokio::test]
    async fn unknown_email_still_runs_the_hasher() {
        let mut m = Mocks::new();
        m.store.expect_find_user_by_email().returning(|_| Ok(None));
        m.hasher.expect_verify().withf(|_, hash| hash.is_none()).times(1).returning(|_, _| false);
        m.store.expect_begin().returning(|| Ok(tx_expecting("auth.login_failed")));
        let _ = m.service().login("nobody@example.com", "whatever1", None, &RequestMeta::default()).await;
    }

    #[tokio::test]
    async fn disabled_user_cannot_sign_in_even_with_the_right_password() {
        let mut m = Mocks::new();
        let mut u = user(Role::Member);
        u.status = UserStatus::Disabled;
        m.store.expect_find_user_by_email().returning(move |_| Ok(Some(u.clone())));
        m.hasher.expect_verify().returning(|_, _| true);
        m.store.expect_begin().returning(|| Ok(tx_expecting("auth.login_failed")));
        m.sessions.expect_create().never();
        let err = m.service().login("ann@example.com", "right password", None, &RequestMeta::default()).await;
        assert!(matches!(err, Err(IdentityError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn successful_login_rotates_the_previous_session_and_records_success() {
        let mut m = Mocks::new();
        let u = user(Role::Member);
        m.store.expect_find_user_by_email().returning(move |_| Ok(Some(u.clone())));
        m.hasher.expect_verify().returning(|_, _| true);
        let old = SessionKey::from_secret("old-cookie");
        m.sessions.expect_delete().withf(move |k| *k == old).times(1).returning(|_| Ok(()));
        m.sessions.expect_create().with(always(), always()).times(1).returning(|_, _| Ok(()));
        m.store.expect_begin().times(1).returning(|| Ok(tx_expecting("auth.login_succeeded")));
        let out =
            m.service().login("ANN@example.com", "right password", Some("old-cookie"), &RequestMeta::default()).await;
        let out = out.expect("login succeeds");
        assert_eq!(out.session.secret.len(), 43);
        assert_ne!(out.session.session.csrf_token, out.session.secret);
        assert!(out.session.session.idle_expires_at < out.session.session.absolute_expires_at);
    }

    #[tokio::test]
    async fn password_login_can_be_turned_off() {
        let m = Mocks::new();
        let svc = m.service().with_password_login(false);
        let err = svc.login("ann@example.com", "right password", None, &RequestMeta::default()).await;
        assert!(matches!(err, Err(IdentityError::PasswordLoginDisabled)));
    }

    fn live_session(user: UserId, now: chrono::DateTime<chrono::Utc>) -> Session {
        Session {
            id: SessionId::from_uuid(test_support::id()),
            user_id: user,
            csrf_token: "csrf".into(),
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + Duration::hours(1),
            absolute_expires_at: now + Duration::days(1),
            client_ip: None,
            user_agent: None,
            sso_provider: None,
        }
    }

    #[tokio::test]
    async fn idle_session_expires_and_is_deleted() {
        let mut m = Mocks::new();
        let u = user(Role::Member);
        let s = live_session(u.id, m.clock.now());
        m.clock.advance(Duration::hours(2));
        m.sessions.expect_get().returning(move |_| Ok(Some(s.clone())));
        m.sessions.expect_delete().times(1).returning(|_| Ok(()));
        let got = m.service().authenticate(Credential::Session("cookie")).await;
        assert!(matches!(got, Ok(None)));
    }

    #[tokio::test]
    async fn activity_extends_the_idle_expiry_but_never_past_the_absolute_one() {
        let mut m = Mocks::new();
        let u = user(Role::Member);
        let mut s = live_session(u.id, m.clock.now());
        s.absolute_expires_at = m.clock.now() + Duration::minutes(90);
        let absolute = s.absolute_expires_at;
        m.clock.advance(Duration::minutes(30));
        m.sessions.expect_get().returning(move |_| Ok(Some(s.clone())));
        m.store.expect_get_user().returning(move |_| Ok(u.clone()));
        m.sessions.expect_touch().withf(move |_, s| s.idle_expires_at == absolute).times(1).returning(|_, _| Ok(()));
        let got = m.service().authenticate(Credential::Session("cookie")).await;
        assert!(matches!(got, Ok(Some(Authenticated::Session { .. }))));
    }

    #[tokio::test]
    async fn session_of_a_disabled_user_is_refused() {
        let mut m = Mocks::new();
        let mut u = user(Role::Member);
        u.status = UserStatus::Disabled;
        let s = live_session(u.id, m.clock.now());
        m.sessions.expect_get().returning(move |_| Ok(Some(s.clone())));
        m.store.expect_get_user().returning(move |_| Ok(u.clone()));
        assert!(matches!(m.service().authenticate(Credential::Session("c")).await, Ok(None)));
    }

    fn token_of(owner: &User, now: chrono::DateTime<chrono::Utc>) -> AccessToken {
        AccessToken {
            id: kernel::TokenId::from_uuid(test_support::id()),
            user_id: owner.id,
            name: crate::model::TokenName::parse("ci").unwrap(),
            display_prefix: "cbp_abcdef".into(),
            scopes: crate::model::ScopeSet::parse(&["boards:read"]).unwrap(),
            expires_at: Some(now + Duration::days(1)),
            last_used_at: None,
            created_at: now,
        }
    }

    #[tokio::test]
    async fn a_token_is_read_with_its_owner_and_its_first_use_recorded() {
        let mut m = Mocks::new();
        let u = user(Role::Member);
        let t = token_of(&u, m.clock.now());
        let (token_id, now) = (t.id, m.clock.now());
        m.store
            .expect_find_token_by_hash()
            .withf(|h| h == hash_secret("cbp_secret"))
            .returning(move |_| Ok(Some((t.clone(), u.clone()))));
        m.store
            .expect_touch_token()
            .withf(move |id, at| *id == token_id && *at == now)
            .times(1)
            .returning(|_, _| Ok(()));
        let got = m.service().authenticate(Credential::Token("cbp_secret")).await.unwrap();
        assert!(matches!(got, Some(Authenticated::Token { token, .. }) if token.last_used_at == Some(now)));
    }

    #[tokio::test]
    async fn a_token_of_a_disabled_owner_or_past_its_expiry_is_refused() {
        for disabled in [true, false] {
            let mut m = Mocks::new();
            let mut u = user(Role::Member);
            let t = token_of(&u, m.clock.now());
            if disabled {
                u.status = UserStatus::Disabled;
            } else {
                m.clock.advance(Duration::days(2));
            }
            m.store.expect_find_token_by_hash().returning(move |_| Ok(Some((t.clone(), u.clone()))));
            m.store.expect_touch_token().never();
            assert!(matches!(m.service().authenticate(Credential::Token("cbp_secret")).await, Ok(None)), "{disabled}");
        }
    }
}
