//! Single sign-on storage on SQLite and PostgreSQL: attempts are taken once, even by two
//! callbacks racing; identities link to one account and are found by (issuer, subject).

use std::sync::Arc;

use adapter_sea_orm::{SeaIdentityStore, SeaSsoLoginStore};
use chrono::{Duration, TimeZone as _, Utc};
use corkboard_tests::databases;
use identity::{IdentityStore as _, LinkedIdentity, PendingSsoLogin, SessionKey, SsoLoginStore as _};
use kernel::{ManualClock, RepoError};

fn attempt(provider: &str, at: chrono::DateTime<Utc>) -> PendingSsoLogin {
    PendingSsoLogin {
        provider: provider.into(),
        state: "state".into(),
        nonce: "nonce".into(),
        pkce_verifier: "verifier".into(),
        created_at: at,
        expires_at: at + Duration::minutes(10),
    }
}

#[tokio::test]
async fn an_attempt_is_taken_once_even_by_racing_callbacks() {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    for db in databases().await {
        let clock = Arc::new(ManualClock::new(start));
        let store = SeaSsoLoginStore::new(db.db.clone(), clock.clone());
        let key = SessionKey::from_secret("browser-secret");
        store.put(&key, &attempt("corp", start)).await.unwrap();
        assert_eq!(store.take(&key).await.unwrap(), Some(attempt("corp", start)), "{:?}", db.backend);
        assert_eq!(store.take(&key).await.unwrap(), None, "{:?}: a second take finds nothing", db.backend);

        // Racing: of 8 concurrent takes exactly one wins.
        store.put(&key, &attempt("corp", start)).await.unwrap();
        let takes = futures::future::join_all((0..8).map(|_| store.take(&key))).await;
        let won = takes.into_iter().filter_map(Result::unwrap).count();
        assert_eq!(won, 1, "{:?}", db.backend);

        // A new attempt sweeps expired ones.
        store.put(&SessionKey::from_secret("old"), &attempt("corp", start)).await.unwrap();
        clock.advance(Duration::minutes(11));
        store.put(&SessionKey::from_secret("new"), &attempt("corp", clock_now(&clock))).await.unwrap();
        assert_eq!(db.count("sso_logins").await, 1, "{:?}", db.backend);
    }
}

fn clock_now(clock: &ManualClock) -> chrono::DateTime<Utc> {
    use kernel::Clock as _;
    clock.now()
}

#[tokio::test]
async fn an_identity_links_to_one_account_and_is_found_by_issuer_and_subject() {
    for db in databases().await {
        let users = db.insert_users(2).await;
        let store = SeaIdentityStore::new(db.db.clone());
        let link = |user_id| LinkedIdentity {
            user_id,
            provider: "corp".into(),
            issuer: "https://idp.example.com".into(),
            subject: "sub-1".into(),
            created_at: Utc::now(),
        };
        let tx = store.begin().await.unwrap();
        tx.link_identity(&link(users[0])).await.unwrap();
        tx.commit().await.unwrap();
        let found = store.find_user_by_identity("https://idp.example.com", "sub-1").await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(users[0]), "{:?}", db.backend);
        assert!(store.find_user_by_identity("https://other.example.com", "sub-1").await.unwrap().is_none());

        let tx = store.begin().await.unwrap();
        let again = tx.link_identity(&link(users[1])).await;
        assert!(matches!(again, Err(RepoError::Conflict(_))), "{:?}: {again:?}", db.backend);
    }
}
