//! argon2id with OWASP's parameters, run on the blocking pool behind a semaphore so that a
//! sign-in storm cannot starve request handling or exhaust memory (each hash uses 19 MiB).

use std::sync::{Arc, LazyLock};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::model::{Password, PasswordHash};
use crate::ports::PasswordHasher;

/// The production [`PasswordHasher`].
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
}

/// A hash of a random password, verified against when the account does not exist.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2(owasp_params()).hash_password(b"corkboard-dummy-password", &salt).ok().map(|h| h.to_string())
});

fn owasp_params() -> Params {
    // m = 19 MiB, t = 2, p = 1: OWASP's first recommended argon2id configuration.
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl Argon2Hasher {
    /// OWASP parameters, at most `concurrency` hashes at a time.
    pub fn new(concurrency: usize) -> Self {
        Self { params: owasp_params(), permits: Arc::new(Semaphore::new(concurrency.max(1))) }
    }

    /// Cheap parameters for tests only: still argon2id, but fast.
    pub fn fast_for_tests() -> Self {
        Self { params: Params::new(256, 1, 1, None).unwrap_or_default(), permits: Arc::new(Semaphore::new(4)) }
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce(Params) -> T + Send + 'static) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await?;
        let params = self.params.clone();
        Ok(tokio::task::spawn_blocking(move || job(params)).await?)
    }
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> anyhow::Result<PasswordHash> {
        let plain = password.expose().to_owned();
        let phc = self
            .run(move |params| {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                argon2(params).hash_password(plain.as_bytes(), &salt).map(|h| h.to_string())
            })
            .await?
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
        Ok(PasswordHash::from_phc(phc))
    }

    async fn verify(&self, password: &Password, hash: Option<PasswordHash>) -> bool {
        let plain = password.expose().to_owned();
        let known = hash.map(|h| h.as_str().to_owned());
        let outcome = self
            .run(move |params| {
                let phc = known.as_deref().or(DUMMY_HASH.as_deref());
                let Some(parsed) = phc.and_then(|p| argon2::PasswordHash::new(p).ok()) else {
                    return false;
                };
                // The stored hash carries its own parameters; verification compares in
                // constant time inside the argon2 crate.
                let ok = argon2(params).verify_password(plain.as_bytes(), &parsed).is_ok();
                ok && known.is_some()
            })
            .await;
        outcome.unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips_and_wrong_password_fails() -> anyhow::Result<()> {
        let hasher = Argon2Hasher::fast_for_tests();
        let pw = Password::parse("correct horse")?;
        let hash = hasher.hash(&pw).await?;
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(&pw, Some(hash.clone())).await);
        assert!(!hasher.verify(&Password::parse("wrong horse")?, Some(hash.clone())).await);
        Ok(())
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() -> anyhow::Result<()> {
        let hasher = Argon2Hasher::fast_for_tests();
        assert!(!hasher.verify(&Password::parse("corkboard-dummy-password")?, None).await);
        Ok(())
    }

    #[test]
    fn production_parameters_are_owasp() {
        let p = owasp_params();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
    }
}
