//! Random secrets and their stored digests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Every personal access token starts with this, so scanners can recognise a leaked one.
pub const TOKEN_PREFIX: &str = "cbp_";

/// 256 random bits, base64url without padding (43 characters).
pub(crate) fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The digest under which a high-entropy secret is stored and looked up. A fast hash is
/// enough: the input has 256 bits of entropy, so there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_distinct() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn digest_is_stable_hex() {
        assert_eq!(hash_secret("abc").len(), 64);
        assert_eq!(hash_secret("abc"), hash_secret("abc"));
        assert_ne!(hash_secret("abc"), hash_secret("abd"));
    }
}
