//! Standard Webhooks signatures: `v1,` and the base64 HMAC-SHA256, keyed with the secret's
//! bytes, of `{webhook-id}.{webhook-timestamp}.{body}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use super::model::WebhookSecret;

/// The `webhook-signature` header for a message.
///
/// # Errors
/// When the secret is not a valid `whsec_` secret.
pub fn sign(secret: &WebhookSecret, message_id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = secret.key()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification, checked independently with
        // Python's hmac module.
        let secret = WebhookSecret::from_stored("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, r#"{"test": 2432232314}"#);
        assert_eq!(signature.unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn any_change_changes_the_signature() {
        let secret = WebhookSecret::generate();
        let base = sign(&secret, "a", 1, "{}").unwrap();
        assert_ne!(base, sign(&secret, "b", 1, "{}").unwrap());
        assert_ne!(base, sign(&secret, "a", 2, "{}").unwrap());
        assert_ne!(base, sign(&secret, "a", 1, "{ }").unwrap());
        assert_ne!(base, sign(&WebhookSecret::generate(), "a", 1, "{}").unwrap());
    }
}
