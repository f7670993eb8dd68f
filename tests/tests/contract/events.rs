//! Audit and outbox rows are written in the same transaction as the change they describe:
//! never a change without its event, never an event for a change that rolled back.

use std::sync::Arc;

use adapter_sea_orm::{SeaIdentityStore, SeaSessionStore};
use corkboard_tests::{TestDb, databases};
use identity::{
    AccessToken, DisplayName, Email, IdentityError, IdentityService, IdentityStore, IdentityTx, LinkedIdentity,
    NewUser, Role, User,
};
use kernel::{Caller, DomainEvent, Page, PageRequest, RepoError, SystemClock, TokenId, UserId, UuidV7, Version};
use sea_orm::{ConnectionTrait as _, Statement};

/// A store whose units of work fail when asked to record an event — after the change was
/// written in the same transaction.
struct FailingRecorder(SeaIdentityStore);

struct FailingTx(Box<dyn IdentityTx>);

#[async_trait::async_trait]
impl IdentityTx for FailingTx {
    async fn get_user(&self, id: UserId) -> Result<User, RepoError> {
        self.0.get_user(id).await
    }
    async fn count_active_admins(&self) -> Result<u64, RepoError> {
        self.0.count_active_admins().await
    }
    async fn insert_user(&self, user: &User) -> Result<(), RepoError> {
        self.0.insert_user(user).await
    }
    async fn update_user(&self, user: &User, expected: Version) -> Result<(), RepoError> {
        self.0.update_user(user, expected).await
    }
    async fn link_identity(&self, link: &LinkedIdentity) -> Result<(), RepoError> {
        self.0.link_identity(link).await
    }
    async fn insert_token(&self, token: &AccessToken, hash: &str) -> Result<(), RepoError> {
        self.0.insert_token(token, hash).await
    }
    async fn delete_token(&self, user: UserId, id: TokenId) -> Result<AccessToken, RepoError> {
        self.0.delete_token(user, id).await
    }
    async fn record(&self, _event: &DomainEvent) -> Result<(), RepoError> {
        Err(RepoError::Unavailable("injected failure".into()))
    }
    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        self.0.commit().await
    }
}

#[async_trait::async_trait]
impl IdentityStore for FailingRecorder {
    async fn begin(&self) -> Result<Box<dyn IdentityTx>, RepoError> {
        Ok(Box::new(FailingTx(self.0.begin().await?)))
    }
    async fn get_user(&self, id: UserId) -> Result<User, RepoError> {
        self.0.get_user(id).await
    }
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        self.0.find_user_by_email(email).await
    }
    async fn find_user_by_identity(&self, issuer: &str, subject: &str) -> Result<Option<User>, RepoError> {
        self.0.find_user_by_identity(issuer, subject).await
    }
    async fn list_users(&self, page: PageRequest) -> Result<Page<User>, RepoError> {
        self.0.list_users(page).await
    }
    async fn find_token_by_hash(&self, hash: &str) -> Result<Option<(AccessToken, User)>, RepoError> {
        self.0.find_token_by_hash(hash).await
    }
    async fn list_tokens(&self, user: UserId, page: PageRequest) -> Result<Page<AccessToken>, RepoError> {
        self.0.list_tokens(user, page).await
    }
    async fn touch_token(&self, id: TokenId, at: chrono::DateTime<chrono::Utc>) -> Result<(), RepoError> {
        self.0.touch_token(id, at).await
    }
}

fn service(db: &TestDb, store: Arc<dyn IdentityStore>) -> IdentityService {
    IdentityService::new(
        store,
        Arc::new(SeaSessionStore::new(db.db.clone(), Arc::new(SystemClock))),
        Arc::new(identity::Argon2Hasher::fast_for_tests().expect("hashing threads")),
        Arc::new(SystemClock),
        Arc::new(UuidV7),
    )
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("New").unwrap(),
        password: None,
        role: Role::Member,
    }
}

#[tokio::test]
async fn a_failure_after_the_change_rolls_back_both_the_change_and_its_event() {
    for db in databases().await {
        let admin = Caller::user(UserId::from_uuid(uuid::Uuid::now_v7()), true);
        let failing = service(&db, Arc::new(FailingRecorder(SeaIdentityStore::new(db.db.clone()))));
        let result = failing.create_user(&admin, new_user("lost@x.io")).await;
        assert!(matches!(result, Err(IdentityError::Unavailable(_))), "{:?}: {result:?}", db.backend);
        assert_eq!(db.count("users").await, 0, "{:?}: the change rolled back", db.backend);
        assert_eq!(db.count("audit_events").await, 0, "{:?}", db.backend);
        assert_eq!(db.count("outbox_events").await, 0, "{:?}", db.backend);

        let working = service(&db, Arc::new(SeaIdentityStore::new(db.db.clone())));
        working.create_user(&admin, new_user("kept@x.io")).await.unwrap();
        assert_eq!(db.count("users").await, 1, "{:?}", db.backend);
        assert_eq!(db.count("audit_events").await, 1, "{:?}: the change has its event", db.backend);
        assert_eq!(db.count("outbox_events").await, 1, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn a_unit_of_work_dropped_without_commit_leaves_nothing() {
    for db in databases().await {
        let store = SeaIdentityStore::new(db.db.clone());
        let svc = service(&db, Arc::new(SeaIdentityStore::new(db.db.clone())));
        let admin = Caller::user(UserId::from_uuid(uuid::Uuid::now_v7()), true);
        let user = svc.create_user(&admin, new_user("a@x.io")).await.unwrap();
        let before = db.count("audit_events").await;
        let tx = store.begin().await.unwrap();
        let mut changed = user.clone();
        changed.version = Version::new(2);
        tx.update_user(&changed, Version::FIRST).await.unwrap();
        drop(tx);
        assert_eq!(store.get_user(user.id).await.unwrap().version, Version::FIRST, "{:?}", db.backend);
        assert_eq!(db.count("audit_events").await, before);
    }
}

#[tokio::test]
async fn recorded_events_carry_actor_request_and_redacted_changes() {
    for db in databases().await {
        let svc = service(&db, Arc::new(SeaIdentityStore::new(db.db.clone())));
        let mut admin = Caller::user(UserId::from_uuid(uuid::Uuid::now_v7()), true);
        admin.meta.request_id = Some("req-1".into());
        admin.meta.client_ip = Some("10.0.0.7".into());
        let mut new = new_user("secret@x.io");
        new.password = Some(identity::Password::parse("a very secret password").unwrap());
        svc.create_user(&admin, new).await.unwrap();
        let backend = db.db.conn().get_database_backend();
        let row = db
            .db
            .conn()
            .query_one(Statement::from_string(
                backend,
                "SELECT action, actor_type, request_id, client_ip, changes FROM audit_events",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "action").unwrap(), "user.created");
        assert_eq!(row.try_get::<String>("", "actor_type").unwrap(), "user");
        assert_eq!(row.try_get::<String>("", "request_id").unwrap(), "req-1");
        assert_eq!(row.try_get::<String>("", "client_ip").unwrap(), "10.0.0.7");
        let changes: serde_json::Value = row.try_get("", "changes").unwrap();
        assert_eq!(changes["password"]["after"], "[REDACTED]", "{:?}", db.backend);
        assert!(!changes.to_string().contains("very secret"));
    }
}
