//! The identity store's contract on SQLite and PostgreSQL.

use adapter_sea_orm::SeaIdentityStore;
use chrono::Utc;
use corkboard_tests::databases;
use identity::{AccessToken, DisplayName, Email, IdentityStore as _, Role, ScopeSet, TokenName, User, UserStatus};
use kernel::{PageRequest, RepoError, TokenId, UserId, Version};
use uuid::Uuid;

fn user(email: &str) -> User {
    let now = kernel::Clock::now(&kernel::SystemClock);
    User {
        id: UserId::from_uuid(Uuid::now_v7()),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("Someone").unwrap(),
        role: Role::Member,
        status: UserStatus::Active,
        password_hash: None,
        version: Version::FIRST,
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn emails_are_unique_and_a_failed_insert_leaves_the_transaction_usable_for_rollback() {
    for db in databases().await {
        let store = SeaIdentityStore::new(db.db.clone());
        let tx = store.begin().await.unwrap();
        tx.insert_user(&user("ann@x.io")).await.unwrap();
        tx.commit().await.unwrap();
        let tx = store.begin().await.unwrap();
        let dup = tx.insert_user(&user("ann@x.io")).await;
        assert!(matches!(&dup, Err(RepoError::Conflict(_))), "{:?}: {dup:?}", db.backend);
        drop(tx);
        assert!(store.find_user_by_email(&Email::parse("ANN@x.io").unwrap()).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn update_with_a_stale_version_is_a_conflict_and_changes_nothing() {
    for db in databases().await {
        let store = SeaIdentityStore::new(db.db.clone());
        let u = user("bob@x.io");
        let tx = store.begin().await.unwrap();
        tx.insert_user(&u).await.unwrap();
        tx.commit().await.unwrap();
        let mut changed = u.clone();
        changed.display_name = DisplayName::parse("Robert").unwrap();
        changed.version = Version::new(2);
        let tx = store.begin().await.unwrap();
        let stale = tx.update_user(&changed, Version::new(5)).await;
        assert!(matches!(stale, Err(RepoError::Conflict(_))), "{:?}", db.backend);
        drop(tx);
        let tx = store.begin().await.unwrap();
        tx.update_user(&changed, Version::FIRST).await.unwrap();
        tx.commit().await.unwrap();
        let read = store.get_user(u.id).await.unwrap();
        assert_eq!((read.display_name.as_str(), read.version), ("Robert", Version::new(2)));
    }
}

#[tokio::test]
async fn users_page_by_id_with_a_cursor() {
    for db in databases().await {
        let store = SeaIdentityStore::new(db.db.clone());
        let tx = store.begin().await.unwrap();
        for i in 0..5 {
            tx.insert_user(&user(&format!("u{i}@x.io"))).await.unwrap();
        }
        tx.commit().await.unwrap();
        let first = store.list_users(PageRequest::new(Some(2), None)).await.unwrap();
        assert_eq!(first.items.len(), 2);
        let second = store.list_users(PageRequest::new(Some(10), first.next_cursor)).await.unwrap();
        assert_eq!(second.items.len(), 3);
        assert_eq!(second.next_cursor, None);
        assert!(first.items[1].id < second.items[0].id, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn tokens_are_found_by_digest_listed_per_owner_and_deleted_only_by_their_owner() {
    for db in databases().await {
        let store = SeaIdentityStore::new(db.db.clone());
        // Every column of the token and its owner holds a value of its own, so that one read into
        // another's field shows.
        let (mut owner, other) = (user("o@x.io"), user("p@x.io"));
        owner.updated_at = owner.created_at + chrono::Duration::seconds(1);
        owner.password_hash =
            Some(identity::PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()));
        let created_at = kernel::Clock::now(&kernel::SystemClock);
        let token = AccessToken {
            id: TokenId::from_uuid(Uuid::now_v7()),
            user_id: owner.id,
            name: TokenName::parse("ci").unwrap(),
            display_prefix: "cbp_abc".into(),
            scopes: ScopeSet::parse(&["boards:read", "notes:write"]).unwrap(),
            expires_at: Some(created_at + chrono::Duration::days(30)),
            last_used_at: Some(created_at - chrono::Duration::hours(1)),
            created_at,
        };
        let tx = store.begin().await.unwrap();
        tx.insert_user(&owner).await.unwrap();
        tx.insert_user(&other).await.unwrap();
        tx.insert_token(&token, "digest").await.unwrap();
        tx.commit().await.unwrap();
        // The token comes with its owner (one statement), as stored.
        let owner_read = store.get_user(owner.id).await.unwrap();
        assert_eq!(
            store.find_token_by_hash("digest").await.unwrap(),
            Some((token.clone(), owner_read)),
            "{:?}",
            db.backend
        );
        assert_eq!(store.find_token_by_hash("other").await.unwrap(), None);
        assert_eq!(store.list_tokens(owner.id, PageRequest::first()).await.unwrap().items.len(), 1);
        assert!(store.list_tokens(other.id, PageRequest::first()).await.unwrap().items.is_empty());
        let now = Utc::now();
        store.touch_token(token.id, now).await.unwrap();
        let tx = store.begin().await.unwrap();
        assert!(matches!(tx.delete_token(other.id, token.id).await, Err(RepoError::NotFound)));
        drop(tx);
        let tx = store.begin().await.unwrap();
        tx.delete_token(owner.id, token.id).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.find_token_by_hash("digest").await.unwrap(), None);
    }
}
