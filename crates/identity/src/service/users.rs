//! User administration.

use kernel::{Actor, Caller, Changes, Page, PageRequest, RepoError, RequestMeta, UserId, Version};

use super::{EventDraft, IdentityService};
use crate::IdentityError;
use crate::model::{DisplayName, Email, NewUser, Password, Role, User, UserPatch, UserStatus};
use crate::ports::IdentityTx;

impl IdentityService {
    /// Creates an administrator from the command line (no caller: the actor is the system).
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err)]
    pub async fn create_admin(
        &self,
        email: Email,
        name: DisplayName,
        password: Password,
    ) -> Result<User, IdentityError> {
        let new = NewUser { email, display_name: name, password: Some(password), role: Role::Admin };
        self.insert_user(new, Actor::System, &RequestMeta::default()).await
    }

    /// Creates a user; administrators only.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User, IdentityError> {
        require_admin(caller)?;
        self.insert_user(new, caller.actor, &caller.meta).await
    }

    async fn insert_user(&self, new: NewUser, actor: Actor, meta: &RequestMeta) -> Result<User, IdentityError> {
        let tx = self.store.begin().await?;
        let user = self.insert_user_in(tx.as_ref(), new, actor, meta).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Inserts a user and records `user.created` in `tx`, without committing.
    pub(super) async fn insert_user_in(
        &self,
        tx: &dyn IdentityTx,
        new: NewUser,
        actor: Actor,
        meta: &RequestMeta,
    ) -> Result<User, IdentityError> {
        let password_hash = match &new.password {
            Some(pw) => Some(self.hasher.hash(pw).await?),
            None => None,
        };
        let now = self.clock.now();
        let user = User {
            id: UserId::from_uuid(self.ids.new_id()),
            email: new.email,
            display_name: new.display_name,
            role: new.role,
            status: UserStatus::Active,
            password_hash,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        // The users table has two unique keys, the id we just generated and the email.
        tx.insert_user(&user).await.map_err(|e| match e {
            RepoError::Conflict(_) => IdentityError::EmailTaken,
            other => other.into(),
        })?;
        let changes = Changes::new()
            .set("email", user.email.as_str())
            .set("display_name", user.display_name.as_str())
            .set("role", user.role.as_str())
            .set("password", user.password_hash.is_some().then_some("set"));
        let draft =
            EventDraft { action: "user.created", resource_type: "user", resource_id: user.id.as_uuid(), changes };
        tx.record(&self.event(actor, meta, draft)).await?;
        Ok(user)
    }

    /// Whether any account exists yet (the server suggests creating the first admin if not).
    pub async fn has_users(&self) -> Result<bool, IdentityError> {
        Ok(!self.store.list_users(PageRequest::new(Some(1), None)).await?.items.is_empty())
    }

    /// A user; administrators see anyone, others only themselves.
    pub async fn get_user(&self, caller: &Caller, id: UserId) -> Result<User, IdentityError> {
        if !caller.is_admin && caller.user_id != id {
            return Err(IdentityError::Forbidden);
        }
        Ok(self.store.get_user(id).await?)
    }

    /// Every user, by id; administrators only.
    pub async fn list_users(&self, caller: &Caller, page: PageRequest) -> Result<Page<User>, IdentityError> {
        require_admin(caller)?;
        Ok(self.store.list_users(page).await?)
    }

    /// Changes a user; administrators only. The last active administrator cannot be demoted
    /// or disabled. Disabling a user ends their sessions.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: UserId,
        patch: UserPatch,
        expected: Option<Version>,
    ) -> Result<User, IdentityError> {
        require_admin(caller)?;
        let password_hash = match &patch.password {
            Some(pw) => Some(self.hasher.hash(pw).await?),
            None => None,
        };
        let tx = self.store.begin().await?;
        let before = tx.get_user(id).await?;
        if expected.is_some_and(|v| v != before.version) {
            return Err(IdentityError::VersionMismatch);
        }
        let mut after = before.clone();
        if let Some(name) = patch.display_name {
            after.display_name = name;
        }
        if let Some(role) = patch.role {
            after.role = role;
        }
        if let Some(status) = patch.status {
            after.status = status;
        }
        if password_hash.is_some() {
            after.password_hash = password_hash;
        }
        if after == before {
            // Nothing to change: no write, no new version, no event.
            return Ok(before);
        }
        if before.is_active_admin() && !after.is_active_admin() && tx.count_active_admins().await? <= 1 {
            return Err(IdentityError::LastAdmin);
        }
        after.version = before.version.next();
        after.updated_at = self.clock.now();
        tx.update_user(&after, before.version).await.map_err(|e| match e {
            // `before` was read in this transaction, so a stale version means a concurrent
            // write won: with If-Match that is the client's 412, without it a retryable 409.
            RepoError::Conflict(_) if expected.is_some() => IdentityError::VersionMismatch,
            RepoError::Conflict(_) => IdentityError::Conflict("changed concurrently; retry".into()),
            other => other.into(),
        })?;
        let changes = Changes::new()
            .diff("display_name", before.display_name.as_str(), after.display_name.as_str())
            .diff("role", before.role.as_str(), after.role.as_str())
            .diff("status", before.status.as_str(), after.status.as_str())
            .diff("password", false, patch.password.is_some());
        let draft = EventDraft { action: "user.updated", resource_type: "user", resource_id: id.as_uuid(), changes };
        self.record_and_commit(tx, caller.actor, &caller.meta, draft).await?;
        // A disabled account, or a password reset (the usual answer to a compromised account),
        // must not leave old sessions alive.
        let disabled = after.status == UserStatus::Disabled && before.status != UserStatus::Disabled;
        if disabled || patch.password.is_some() {
            self.sessions.delete_all_for_user(id).await?;
        }
        Ok(after)
    }
}

fn require_admin(caller: &Caller) -> Result<(), IdentityError> {
    if caller.is_admin { Ok(()) } else { Err(IdentityError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PasswordHash;
    use crate::ports::MockIdentityTx;
    use crate::service::test_support::{self, Mocks, user};

    #[tokio::test]
    async fn members_cannot_create_users() {
        let m = Mocks::new();
        let caller = Caller::user(UserId::from_uuid(test_support::id()), false);
        let new = NewUser {
            email: Email::parse("bob@example.com").unwrap(),
            display_name: DisplayName::parse("Bob").unwrap(),
            password: None,
            role: Role::Member,
        };
        assert!(matches!(m.service().create_user(&caller, new).await, Err(IdentityError::Forbidden)));
    }

    #[tokio::test]
    async fn created_user_is_inserted_with_a_hash_and_audited_in_one_transaction() {
        let mut m = Mocks::new();
        m.hasher.expect_hash().times(1).returning(|_| Ok(PasswordHash::from_phc("$argon2id$x".into())));
        m.store.expect_begin().times(1).returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_insert_user().withf(|u| u.password_hash.is_some()).times(1).returning(|_| Ok(()));
            tx.expect_record()
                .withf(|e| e.action == "user.created" && e.changes.as_map()["password"]["after"] == "[REDACTED]")
                .times(1)
                .returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
        let caller = Caller::user(UserId::from_uuid(test_support::id()), true);
        let new = NewUser {
            email: Email::parse("bob@example.com").unwrap(),
            display_name: DisplayName::parse("Bob").unwrap(),
            password: Some(Password::parse("long enough").unwrap()),
            role: Role::Member,
        };
        let created = m.service().create_user(&caller, new).await.expect("created");
        assert_eq!(created.version, Version::FIRST);
    }

    #[tokio::test]
    async fn duplicate_email_is_reported_and_nothing_commits() {
        let mut m = Mocks::new();
        m.store.expect_begin().returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_insert_user().returning(|_| Err(kernel::RepoError::Conflict("users_email_key".into())));
            tx.expect_commit().never();
            Ok(Box::new(tx))
        });
        let caller = Caller::user(UserId::from_uuid(test_support::id()), true);
        let new = NewUser {
            email: Email::parse("bob@example.com").unwrap(),
            display_name: DisplayName::parse("Bob").unwrap(),
            password: None,
            role: Role::Member,
        };
        assert!(matches!(m.service().create_user(&caller, new).await, Err(IdentityError::EmailTaken)));
    }

    #[tokio::test]
    async fn the_last_admin_cannot_be_demoted() {
        let mut m = Mocks::new();
        let admin = user(Role::Admin);
        let id = admin.id;
        m.store.expect_begin().returning(move || {
            let mut tx = MockIdentityTx::new();
            let a = admin.clone();
            tx.expect_get_user().returning(move |_| Ok(a.clone()));
            tx.expect_count_active_admins().returning(|| Ok(1));
            tx.expect_update_user().never();
            tx.expect_commit().never();
            Ok(Box::new(tx))
        });
        let caller = Caller::user(id, true);
        let patch = UserPatch { role: Some(Role::Member), ..UserPatch::default() };
        assert!(matches!(m.service().update_user(&caller, id, patch, None).await, Err(IdentityError::LastAdmin)));
    }

    #[tokio::test]
    async fn stale_version_is_refused_before_writing() {
        let mut m = Mocks::new();
        let target = user(Role::Member);
        let id = target.id;
        m.store.expect_begin().returning(move || {
            let mut tx = MockIdentityTx::new();
            let t = target.clone();
            tx.expect_get_user().returning(move |_| Ok(t.clone()));
            tx.expect_update_user().never();
            tx.expect_commit().never();
            Ok(Box::new(tx))
        });
        let caller = Caller::user(UserId::from_uuid(test_support::id()), true);
        let patch = UserPatch { display_name: Some(DisplayName::parse("New").unwrap()), ..UserPatch::default() };
        let err = m.service().update_user(&caller, id, patch, Some(Version::new(7))).await;
        assert!(matches!(err, Err(IdentityError::VersionMismatch)));
    }

    #[tokio::test]
    async fn a_patch_that_changes_nothing_writes_nothing() {
        let mut m = Mocks::new();
        let target = user(Role::Member);
        let id = target.id;
        m.store.expect_begin().returning(move || {
            let mut tx = MockIdentityTx::new();
            let t = target.clone();
            tx.expect_get_user().returning(move |_| Ok(t.clone()));
            tx.expect_update_user().never();
            tx.expect_record().never();
            tx.expect_commit().never();
            Ok(Box::new(tx))
        });
        let caller = Caller::user(UserId::from_uuid(test_support::id()), true);
        let patch = UserPatch { display_name: Some(DisplayName::parse("Ann").unwrap()), ..UserPatch::default() };
        let same = m.service().update_user(&caller, id, patch, None).await.expect("ok");
        assert_eq!(same.version, Version::FIRST);
    }

    #[tokio::test]
    async fn a_lost_race_without_if_match_is_a_retryable_conflict() {
        let mut m = Mocks::new();
        let target = user(Role::Member);
        let id = target.id;
        m.store.expect_begin().returning(move || {
            let mut tx = MockIdentityTx::new();
            let t = target.clone();
            tx.expect_get_user().returning(move |_| Ok(t.clone()));
            tx.expect_update_user().returning(|_, _| Err(RepoError::Conflict("stale version".into())));
            tx.expect_commit().never();
            Ok(Box::new(tx))
        });
        let caller = Caller::user(UserId::from_uuid(test_support::id()), true);
        let patch = UserPatch { display_name: Some(DisplayName::parse("New").unwrap()), ..UserPatch::default() };
        let err = m.service().update_user(&caller, id, patch, None).await;
        assert!(matches!(err, Err(IdentityError::Conflict(_))), "{err:?}");
    }

    #[tokio::test]
    async fn disabling_a_user_ends_their_sessions_after_commit() {
        let mut m = Mocks::new();
        let target = user(Role::Member);
        let id = target.id;
        m.store.expect_begin().returning(move || {
            let mut tx = MockIdentityTx::new();
            let t = target.clone();
            tx.expect_get_user().returning(move |_| Ok(t.clone()));
            tx.expect_update_user()
                .withf(|u, v| u.status == UserStatus::Disabled && *v == Version::FIRST)
                .returning(|_, _| Ok(()));
            tx.expect_record().withf(|e| e.changes.as_map().contains_key("status")).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
        m.sessions.expect_delete_all_for_user().withf(move |u| *u == id).times(1).returning(|_| Ok(()));
        let caller = Caller::user(UserId::from_uuid(test_support::id()), true);
        let patch = UserPatch { status: Some(UserStatus::Disabled), ..UserPatch::default() };
        let updated = m.service().update_user(&caller, id, patch, None).await.expect("updated");
        assert_eq!(updated.version, Version::new(2));
    }
}
