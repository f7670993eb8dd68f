//! Single sign-on through OpenID providers: beginning a sign-in, finishing it at the callback,
//! linking the identity to an account, and where sign-out sends the browser.

use std::sync::Arc;

use chrono::Duration;
use kernel::{Actor, Changes, RequestMeta};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::{EventDraft, IdentityService, LoginOutcome};
use crate::IdentityError;
use crate::model::{
    DisplayName, Email, ExternalIdentity, LinkedIdentity, NewUser, PendingSsoLogin, Role, Session, SessionKey,
    SsoCallback, SsoFailure, SsoProviderInfo, User, UserStatus,
};
use crate::ports::{IdentityProvider, SsoLoginStore};
use crate::secret::random_secret;

/// How long a browser may take at the provider before the attempt is refused.
pub const SSO_ATTEMPT_TTL: Duration = Duration::minutes(10);

/// The configured providers and where their sign-ins in flight are kept.
#[derive(Clone)]
pub(crate) struct Sso {
    providers: Vec<Arc<dyn IdentityProvider>>,
    infos: Vec<SsoProviderInfo>,
    logins: Arc<dyn SsoLoginStore>,
}

impl Sso {
    pub(crate) fn new(providers: Vec<Arc<dyn IdentityProvider>>, logins: Arc<dyn SsoLoginStore>) -> Self {
        let infos = providers.iter().map(|p| p.info().clone()).collect();
        Self { providers, infos, logins }
    }
}

/// A sign-in sent to a provider.
#[derive(Debug, Clone)]
pub struct SsoStart {
    /// Where to redirect the browser.
    pub redirect_url: String,
    /// The secret for the short-lived cookie that binds the attempt to this browser.
    pub attempt_secret: String,
    /// How long the cookie should live.
    pub ttl: Duration,
}

impl IdentityService {
    /// Adds OpenID providers and the store of their sign-ins in flight.
    #[must_use]
    pub fn with_sso(mut self, providers: Vec<Arc<dyn IdentityProvider>>, logins: Arc<dyn SsoLoginStore>) -> Self {
        self.sso = Some(Sso::new(providers, logins));
        self
    }

    /// The configured providers, in configuration order.
    pub fn sso_providers(&self) -> &[SsoProviderInfo] {
        self.sso.as_ref().map_or(&[], |s| s.infos.as_slice())
    }

    fn provider(&self, id: &str) -> Option<(&Sso, &Arc<dyn IdentityProvider>)> {
        let sso = self.sso.as_ref()?;
        sso.providers.iter().find(|p| p.info().id == id).map(|p| (sso, p))
    }

    /// Begins a sign-in at provider `id`: builds the authorization request and remembers its
    /// `state`, `nonce` and PKCE verifier under a new browser-bound secret.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip(self), err(level = "info"))]
    pub async fn sso_begin(&self, id: &str) -> Result<SsoStart, IdentityError> {
        let (sso, provider) = self.provider(id).ok_or(IdentityError::Sso(SsoFailure::UnknownProvider))?;
        let request = provider.authorization_request().await.map_err(IdentityError::Sso)?;
        let now = self.clock.now();
        let pending = PendingSsoLogin {
            provider: id.to_owned(),
            state: request.state,
            nonce: request.nonce,
            pkce_verifier: request.pkce_verifier,
            created_at: now,
            expires_at: now + SSO_ATTEMPT_TTL,
        };
        let secret = random_secret();
        sso.logins.put(&SessionKey::from_secret(&secret), &pending).await?;
        Ok(SsoStart { redirect_url: request.url, attempt_secret: secret, ttl: SSO_ATTEMPT_TTL })
    }

    /// Finishes a sign-in at the callback of provider `id`. `attempt_secret` is the browser's
    /// attempt cookie, `previous` its session cookie (revoked: the session id rotates). Every
    /// refusal is audited as `auth.sso_failed` with its reason and creates no session.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, fields(provider = id), err(level = "info"))]
    pub async fn sso_complete(
        &self,
        id: &str,
        attempt_secret: Option<&str>,
        callback: SsoCallback,
        previous: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<LoginOutcome, IdentityError> {
        let outcome = match self.sso_identity(id, attempt_secret, &callback).await {
            Ok((info, identity)) => self.sso_account(&info, &identity, meta).await.map(|user| (user, identity)),
            Err(e) => Err(e),
        };
        let (user, identity) = match outcome {
            Ok(found) => found,
            Err(IdentityError::Sso(reason)) => {
                let draft = EventDraft {
                    action: "auth.sso_failed",
                    resource_type: "user",
                    resource_id: Uuid::nil(),
                    changes: Changes::new().set("provider", id).set("reason", reason.code()),
                };
                self.record_alone(Actor::Anonymous, meta, draft).await?;
                return Err(IdentityError::Sso(reason));
            }
            Err(other) => return Err(other),
        };
        if let Some(old) = previous {
            self.sessions.delete(&SessionKey::from_secret(old)).await?;
        }
        let session = self.start_session(&user, meta, Some(id)).await?;
        let draft = EventDraft {
            action: "auth.login_succeeded",
            resource_type: "session",
            resource_id: session.session.id.as_uuid(),
            changes: Changes::new().set("method", "oidc").set("provider", id).set("subject", identity.subject.as_str()),
        };
        self.record_alone(Actor::User(user.id), meta, draft).await?;
        Ok(LoginOutcome { user, session })
    }

    /// Checks the callback against the attempt it claims to finish and has the provider verify
    /// the code's ID token.
    async fn sso_identity(
        &self,
        id: &str,
        attempt_secret: Option<&str>,
        callback: &SsoCallback,
    ) -> Result<(SsoProviderInfo, ExternalIdentity), IdentityError> {
        let (sso, provider) = self.provider(id).ok_or(IdentityError::Sso(SsoFailure::UnknownProvider))?;
        // Taken before anything else is checked: an attempt is spent by its first callback.
        let pending = match attempt_secret {
            Some(secret) => sso.logins.take(&SessionKey::from_secret(secret)).await?,
            None => None,
        };
        let now = self.clock.now();
        let pending = pending
            .filter(|p| p.provider == id && now < p.expires_at)
            .filter(|p| callback.state.as_deref().is_some_and(|s| bool::from(s.as_bytes().ct_eq(p.state.as_bytes()))))
            .ok_or(IdentityError::Sso(SsoFailure::InvalidState))?;
        if let Some(error) = &callback.error {
            return Err(IdentityError::Sso(SsoFailure::ProviderError(error_code(error))));
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| IdentityError::Sso(SsoFailure::ProviderError("missing_code".into())))?;
        let identity = provider.complete(&pending, code, callback.iss.clone()).await.map_err(IdentityError::Sso)?;
        Ok((provider.info().clone(), identity))
    }

    /// The account for a verified identity: the linked one; else, when the provider is trusted
    /// for it and the email is verified, the account with that email (now linked); else a new
    /// account when the provider may create them.
    async fn sso_account(
        &self,
        info: &SsoProviderInfo,
        identity: &ExternalIdentity,
        meta: &RequestMeta,
    ) -> Result<User, IdentityError> {
        let refuse = |reason| Err(IdentityError::Sso(reason));
        if let Some(user) = self.store.find_user_by_identity(&identity.issuer, &identity.subject).await? {
            return if user.status == UserStatus::Active { Ok(user) } else { refuse(SsoFailure::AccountDisabled) };
        }
        let email = identity.email.as_deref().and_then(|e| Email::parse(e).ok());
        let existing = match &email {
            Some(e) => self.store.find_user_by_email(e).await?,
            None => None,
        };
        let link = |user_id| LinkedIdentity {
            user_id,
            provider: info.id.clone(),
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            created_at: self.clock.now(),
        };
        let found = match (existing, email) {
            (Some(user), _) if info.trust_email && identity.email_verified => {
                if user.status != UserStatus::Active {
                    return refuse(SsoFailure::AccountDisabled);
                }
                Account::Existing(user)
            }
            (Some(_), _) => return refuse(SsoFailure::EmailNotLinkable),
            (None, Some(email)) if info.create_users => {
                let display_name = identity
                    .name
                    .as_deref()
                    .and_then(|n| DisplayName::parse(n).ok())
                    .or_else(|| DisplayName::parse(email.as_str().split('@').next().unwrap_or_default()).ok())
                    .ok_or(IdentityError::Sso(SsoFailure::NoAccount))?;
                Account::New(NewUser { email, display_name, password: None, role: Role::Member })
            }
            (None, _) => return refuse(SsoFailure::NoAccount),
        };
        let tx = self.store.begin().await?;
        let user = match found {
            Account::Existing(user) => user,
            Account::New(new) => self.insert_user_in(tx.as_ref(), new, Actor::System, meta).await?,
        };
        let link = link(user.id);
        // A concurrent first sign-in of the same identity loses on the key and may retry.
        tx.link_identity(&link).await?;
        let draft = EventDraft {
            action: "auth.identity_linked",
            resource_type: "user",
            resource_id: user.id.as_uuid(),
            changes: Changes::new()
                .set("provider", link.provider.as_str())
                .set("issuer", link.issuer.as_str())
                .set("subject", link.subject.as_str()),
        };
        self.record_and_commit(tx, Actor::User(user.id), meta, draft).await?;
        Ok(user)
    }

    /// Where to send the browser after `session` has been ended here: the end-session endpoint
    /// of the provider it came from, when there is one.
    pub async fn sso_logout_url(&self, session: &Session) -> Option<String> {
        let id = session.sso_provider.as_deref()?;
        let (_, provider) = self.provider(id)?;
        provider.end_session_url().await
    }
}

/// The account an unlinked identity gets: one that exists, or one to create.
enum Account {
    Existing(User),
    New(NewUser),
}

/// A provider's error code kept to the characters RFC 6749 allows for it, and short.
fn error_code(raw: &str) -> String {
    raw.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kernel::{Clock as _, RepoError, UserId};

    use super::*;
    use crate::model::AuthorizationRequest;
    use crate::ports::{MockIdentityProvider, MockIdentityTx, MockSsoLoginStore};
    use crate::service::test_support::{Mocks, user};

    const ISSUER: &str = "https://idp.example.com";

    fn info(create_users: bool, trust_email: bool) -> SsoProviderInfo {
        SsoProviderInfo {
            id: "corp".into(),
            display_name: "Corp".into(),
            issuer: ISSUER.into(),
            create_users,
            trust_email,
        }
    }

    fn identity(email_verified: bool) -> ExternalIdentity {
        ExternalIdentity {
            issuer: ISSUER.into(),
            subject: "sub-1".into(),
            email: Some("ann@example.com".into()),
            email_verified,
            name: Some("Ann".into()),
        }
    }

    fn pending(now: chrono::DateTime<chrono::Utc>) -> PendingSsoLogin {
        PendingSsoLogin {
            provider: "corp".into(),
            state: "state-1".into(),
            nonce: "nonce-1".into(),
            pkce_verifier: "verifier".into(),
            created_at: now,
            expires_at: now + SSO_ATTEMPT_TTL,
        }
    }

    fn callback(state: &str) -> SsoCallback {
        SsoCallback { code: Some("code".into()), state: Some(state.into()), iss: None, error: None }
    }

    /// A provider that verifies any code as `identity`.
    fn provider(info: SsoProviderInfo, identity: Option<ExternalIdentity>) -> MockIdentityProvider {
        let mut p = MockIdentityProvider::new();
        p.expect_info().return_const(info);
        p.expect_authorization_request().returning(|| {
            Ok(AuthorizationRequest {
                url: "https://idp.example.com/auth?x".into(),
                state: "state-1".into(),
                nonce: "nonce-1".into(),
                pkce_verifier: "verifier".into(),
            })
        });
        match identity {
            Some(found) => {
                p.expect_complete().returning(move |_, _, _| Ok(found.clone()));
            }
            None => {
                p.expect_complete().never();
            }
        }
        p
    }

    /// A login store holding one attempt (taken once).
    fn logins(attempt: Option<PendingSsoLogin>) -> MockSsoLoginStore {
        let mut store = MockSsoLoginStore::new();
        let mut slot = attempt;
        store.expect_take().returning(move |_| Ok(slot.take()));
        store.expect_put().returning(|_, _| Ok(()));
        store
    }

    /// Expects exactly one audit record with `action` in a unit of work that commits.
    fn expect_recorded(m: &mut Mocks, action: &'static str) {
        m.store.expect_begin().times(1).returning(move || {
            let mut tx = MockIdentityTx::new();
            tx.expect_record().withf(move |e| e.action == action).times(1).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
    }

    fn service(m: Mocks, p: MockIdentityProvider, store: MockSsoLoginStore) -> IdentityService {
        m.service().with_sso(vec![Arc::new(p)], Arc::new(store))
    }

    #[tokio::test]
    async fn begin_remembers_state_nonce_and_verifier_under_the_browser_secret() {
        let m = Mocks::new();
        let now = m.clock.now();
        let mut store = MockSsoLoginStore::new();
        store
            .expect_put()
            .withf(move |_, p| {
                p.state == "state-1" && p.nonce == "nonce-1" && p.pkce_verifier == "verifier" && p.expires_at > now
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let svc = service(m, provider(info(true, false), None), store);
        let start = svc.sso_begin("corp").await.unwrap();
        assert!(start.redirect_url.starts_with(ISSUER));
        assert_eq!(start.attempt_secret.len(), 43);
        assert!(matches!(svc.sso_begin("other").await, Err(IdentityError::Sso(SsoFailure::UnknownProvider))));
    }

    #[tokio::test]
    async fn linked_identity_signs_in_and_rotates_the_session() {
        let mut m = Mocks::new();
        let now = m.clock.now();
        let u = user(Role::Member);
        let uid = u.id;
        m.store.expect_find_user_by_identity().returning(move |_, _| Ok(Some(u.clone())));
        m.sessions.expect_delete().withf(|k| *k == SessionKey::from_secret("old")).times(1).returning(|_| Ok(()));
        m.sessions
            .expect_create()
            .withf(move |_, s| s.user_id == uid && s.sso_provider.as_deref() == Some("corp"))
            .times(1)
            .returning(|_, _| Ok(()));
        expect_recorded(&mut m, "auth.login_succeeded");
        let svc = service(m, provider(info(false, false), Some(identity(true))), logins(Some(pending(now))));
        let out = svc
            .sso_complete("corp", Some("secret"), callback("state-1"), Some("old"), &RequestMeta::default())
            .await
            .unwrap();
        assert_eq!(out.user.id, uid);
    }

    /// Runs a callback that must be refused with `reason`, audited, and start no session.
    async fn assert_refused(
        mut m: Mocks,
        p: MockIdentityProvider,
        attempt: Option<PendingSsoLogin>,
        secret: Option<&str>,
        cb: SsoCallback,
        reason: &SsoFailure,
    ) {
        m.sessions.expect_create().never();
        expect_recorded(&mut m, "auth.sso_failed");
        let svc = service(m, p, logins(attempt));
        let err = svc.sso_complete("corp", secret, cb, None, &RequestMeta::default()).await.unwrap_err();
        assert!(matches!(&err, IdentityError::Sso(r) if r == reason), "{err:?}");
    }

    #[tokio::test]
    async fn missing_wrong_or_expired_state_is_refused_before_the_provider_is_asked() {
        let m = Mocks::new();
        let now = m.clock.now();
        let p = provider(info(true, true), None);
        assert_refused(m, p, Some(pending(now)), Some("s"), callback("forged"), &SsoFailure::InvalidState).await;

        let m = Mocks::new();
        let p = provider(info(true, true), None);
        let cb = SsoCallback { state: None, ..callback("") };
        assert_refused(m, p, Some(pending(now)), Some("s"), cb, &SsoFailure::InvalidState).await;

        let m = Mocks::new();
        let p = provider(info(true, true), None);
        assert_refused(m, p, Some(pending(now)), None, callback("state-1"), &SsoFailure::InvalidState).await;

        let m = Mocks::new();
        m.clock.advance(SSO_ATTEMPT_TTL + Duration::seconds(1));
        let p = provider(info(true, true), None);
        assert_refused(m, p, Some(pending(now)), Some("s"), callback("state-1"), &SsoFailure::InvalidState).await;
    }

    #[tokio::test]
    async fn provider_error_is_reported_by_its_code_only() {
        let m = Mocks::new();
        let now = m.clock.now();
        let p = provider(info(true, true), None);
        let cb = SsoCallback { error: Some("access_denied<script>".into()), code: None, ..callback("state-1") };
        let reason = SsoFailure::ProviderError("access_deniedscript".into());
        assert_refused(m, p, Some(pending(now)), Some("s"), cb, &reason).await;
    }

    #[tokio::test]
    async fn unverified_or_untrusted_email_never_links_to_an_existing_account() {
        for (trust, verified) in [(false, true), (true, false)] {
            let mut m = Mocks::new();
            let now = m.clock.now();
            m.store.expect_find_user_by_identity().returning(|_, _| Ok(None));
            m.store.expect_find_user_by_email().returning(|_| Ok(Some(user(Role::Member))));
            let p = provider(info(true, trust), Some(identity(verified)));
            let reason = SsoFailure::EmailNotLinkable;
            assert_refused(m, p, Some(pending(now)), Some("s"), callback("state-1"), &reason).await;
        }
    }

    #[tokio::test]
    async fn trusted_verified_email_links_the_existing_account_in_one_transaction() {
        let mut m = Mocks::new();
        let now = m.clock.now();
        let u = user(Role::Member);
        let uid = u.id;
        m.store.expect_find_user_by_identity().returning(|_, _| Ok(None));
        m.store.expect_find_user_by_email().returning(move |_| Ok(Some(u.clone())));
        let mut seq = mockall::Sequence::new();
        m.store.expect_begin().times(1).in_sequence(&mut seq).returning(move || {
            let mut tx = MockIdentityTx::new();
            tx.expect_link_identity()
                .withf(move |l| l.user_id == uid && l.subject == "sub-1" && l.issuer == ISSUER)
                .times(1)
                .returning(|_| Ok(()));
            tx.expect_record().withf(|e| e.action == "auth.identity_linked").times(1).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
        m.store.expect_begin().times(1).in_sequence(&mut seq).returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_record().withf(|e| e.action == "auth.login_succeeded").times(1).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
        m.sessions.expect_create().times(1).returning(|_, _| Ok(()));
        let svc = service(m, provider(info(false, true), Some(identity(true))), logins(Some(pending(now))));
        let out =
            svc.sso_complete("corp", Some("s"), callback("state-1"), None, &RequestMeta::default()).await.unwrap();
        assert_eq!(out.user.id, uid);
    }

    #[tokio::test]
    async fn first_sign_in_creates_a_member_without_password_when_allowed() {
        let mut m = Mocks::new();
        let now = m.clock.now();
        m.store.expect_find_user_by_identity().returning(|_, _| Ok(None));
        m.store.expect_find_user_by_email().returning(|_| Ok(None));
        let mut seq = mockall::Sequence::new();
        m.store.expect_begin().times(1).in_sequence(&mut seq).returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_insert_user()
                .withf(|u| u.password_hash.is_none() && u.role == Role::Member && u.display_name.as_str() == "Ann")
                .times(1)
                .returning(|_| Ok(()));
            tx.expect_link_identity().times(1).returning(|_| Ok(()));
            tx.expect_record().times(2).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
        expect_recorded_after(&mut m, &mut seq);
        m.sessions.expect_create().times(1).returning(|_, _| Ok(()));
        let svc = service(m, provider(info(true, false), Some(identity(false))), logins(Some(pending(now))));
        let out =
            svc.sso_complete("corp", Some("s"), callback("state-1"), None, &RequestMeta::default()).await.unwrap();
        assert_eq!(out.user.email.as_str(), "ann@example.com");
    }

    fn expect_recorded_after(m: &mut Mocks, seq: &mut mockall::Sequence) {
        m.store.expect_begin().times(1).in_sequence(seq).returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_record().times(1).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
    }

    #[tokio::test]
    async fn unknown_identity_without_creation_or_disabled_account_is_refused() {
        let mut m = Mocks::new();
        let now = m.clock.now();
        m.store.expect_find_user_by_identity().returning(|_, _| Ok(None));
        m.store.expect_find_user_by_email().returning(|_| Ok(None));
        let p = provider(info(false, true), Some(identity(true)));
        assert_refused(m, p, Some(pending(now)), Some("s"), callback("state-1"), &SsoFailure::NoAccount).await;

        let mut m = Mocks::new();
        let mut disabled = user(Role::Member);
        disabled.status = UserStatus::Disabled;
        m.store.expect_find_user_by_identity().returning(move |_, _| Ok(Some(disabled.clone())));
        let p = provider(info(true, true), Some(identity(true)));
        assert_refused(m, p, Some(pending(now)), Some("s"), callback("state-1"), &SsoFailure::AccountDisabled).await;
    }

    #[tokio::test]
    async fn store_outage_is_not_reported_as_a_refusal() {
        let mut m = Mocks::new();
        let now = m.clock.now();
        m.store.expect_find_user_by_identity().returning(|_, _| Err(RepoError::Unavailable("down".into())));
        m.sessions.expect_create().never();
        let svc = service(m, provider(info(true, true), Some(identity(true))), logins(Some(pending(now))));
        let err = svc.sso_complete("corp", Some("s"), callback("state-1"), None, &RequestMeta::default()).await;
        assert!(matches!(err, Err(IdentityError::Unavailable(_))));
    }

    #[tokio::test]
    async fn logout_url_comes_from_the_session_provider() {
        let m = Mocks::new();
        let mut p = provider(info(true, true), None);
        p.expect_end_session_url().returning(|| Some("https://idp.example.com/logout".into()));
        let svc = service(m, p, logins(None));
        let mut session = crate::service::test_support::session(UserId::from_uuid(crate::service::test_support::id()));
        assert_eq!(svc.sso_logout_url(&session).await, None);
        session.sso_provider = Some("corp".into());
        assert_eq!(svc.sso_logout_url(&session).await.as_deref(), Some("https://idp.example.com/logout"));
    }
}
