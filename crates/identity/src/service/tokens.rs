//! Personal access tokens.

use chrono::{DateTime, Utc};
use kernel::{Caller, Changes, Page, PageRequest, TokenId};

use super::{EventDraft, IdentityService};
use crate::IdentityError;
use crate::model::{AccessToken, Scope, ScopeSet, TokenName};
use crate::secret::{TOKEN_PREFIX, hash_secret, random_secret};

impl IdentityService {
    /// Creates a token for the caller; the returned secret is shown once and never stored.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn create_token(
        &self,
        caller: &Caller,
        name: TokenName,
        scopes: ScopeSet,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(AccessToken, String), IdentityError> {
        let now = self.clock.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(IdentityError::invalid("expires_at", "must be in the future"));
        }
        if scopes.allows(Scope::UsersManage) && !caller.is_admin {
            return Err(IdentityError::invalid("scopes", "users:manage requires an administrator"));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_secret());
        let token = AccessToken {
            id: TokenId::from_uuid(self.ids.new_id()),
            user_id: caller.user_id,
            name,
            display_prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
            scopes,
            expires_at,
            last_used_at: None,
            created_at: now,
        };
        let tx = self.store.begin().await?;
        tx.insert_token(&token, &hash_secret(&secret)).await?;
        let changes = Changes::new()
            .set("name", token.name.as_str())
            .set("scopes", token.scopes.names())
            .set("expires_at", token.expires_at.map(|t| t.to_rfc3339()));
        let draft =
            EventDraft { action: "token.created", resource_type: "token", resource_id: token.id.as_uuid(), changes };
        self.record_and_commit(tx, caller.actor, &caller.meta, draft).await?;
        Ok((token, secret))
    }

    /// The caller's tokens.
    pub async fn list_tokens(&self, caller: &Caller, page: PageRequest) -> Result<Page<AccessToken>, IdentityError> {
        Ok(self.store.list_tokens(caller.user_id, page).await?)
    }

    /// Revokes one of the caller's tokens; it stops working at once.
    #[tracing::instrument(target = "identity::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn revoke_token(&self, caller: &Caller, id: TokenId) -> Result<(), IdentityError> {
        let tx = self.store.begin().await?;
        let token = tx.delete_token(caller.user_id, id).await?;
        let changes = Changes::new().diff("name", token.name.as_str(), serde_json::Value::Null);
        let draft = EventDraft { action: "token.revoked", resource_type: "token", resource_id: id.as_uuid(), changes };
        self.record_and_commit(tx, caller.actor, &caller.meta, draft).await
    }
}

#[cfg(test)]
mod tests {
    use kernel::UserId;

    use super::*;
    use crate::ports::MockIdentityTx;
    use crate::service::test_support::{self, Mocks};
    use kernel::Clock as _;

    fn caller() -> Caller {
        Caller::user(UserId::from_uuid(test_support::id()), false)
    }

    #[tokio::test]
    async fn token_secret_is_prefixed_and_only_its_digest_is_stored() {
        let mut m = Mocks::new();
        m.store.expect_begin().returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_insert_token()
                .withf(|t, hash| hash.len() == 64 && t.display_prefix.starts_with(TOKEN_PREFIX))
                .times(1)
                .returning(|_, _| Ok(()));
            tx.expect_record().withf(|e| e.action == "token.created").times(1).returning(|_| Ok(()));
            tx.expect_commit().times(1).returning(|| Ok(()));
            Ok(Box::new(tx))
        });
        let scopes = ScopeSet::parse(&["boards:read"]).unwrap();
        let (token, secret) =
            m.service().create_token(&caller(), TokenName::parse("ci").unwrap(), scopes, None).await.expect("created");
        assert!(secret.starts_with(TOKEN_PREFIX));
        assert!(secret.starts_with(&token.display_prefix));
        assert_eq!(secret.len(), TOKEN_PREFIX.len() + 43);
    }

    #[tokio::test]
    async fn expiry_in_the_past_is_refused() {
        let m = Mocks::new();
        let past = m.clock.now() - chrono::Duration::seconds(1);
        let scopes = ScopeSet::parse(&["boards:read"]).unwrap();
        let err = m.service().create_token(&caller(), TokenName::parse("ci").unwrap(), scopes, Some(past)).await;
        assert!(matches!(err, Err(IdentityError::Invalid { field: "expires_at", .. })));
    }

    #[tokio::test]
    async fn members_cannot_mint_admin_scoped_tokens() {
        let m = Mocks::new();
        let scopes = ScopeSet::parse(&["users:manage"]).unwrap();
        let err = m.service().create_token(&caller(), TokenName::parse("x").unwrap(), scopes, None).await;
        assert!(matches!(err, Err(IdentityError::Invalid { field: "scopes", .. })));
    }

    #[tokio::test]
    async fn revoking_someone_elses_token_is_not_found_and_commits_nothing() {
        let mut m = Mocks::new();
        m.store.expect_begin().returning(|| {
            let mut tx = MockIdentityTx::new();
            tx.expect_delete_token().returning(|_, _| Err(kernel::RepoError::NotFound));
            tx.expect_commit().never();
            Ok(Box::new(tx))
        });
        let err = m.service().revoke_token(&caller(), TokenId::from_uuid(test_support::id())).await;
        assert!(matches!(err, Err(IdentityError::NotFound)));
    }
}
