//! The OpenID Connect relying party: identity's [`IdentityProvider`] port on the
//! `openidconnect` crate, with our `reqwest` client as its HTTP transport.
//!
//! One [`OidcProvider`] per configured provider. Discovery (and with it the JWKS) is fetched on
//! first use with timeouts, cached for [`OidcSettings::metadata_ttl`], and the key set is
//! fetched again when an ID token names a key id it does not hold (the provider rotated its
//! keys). Verification is `openidconnect`'s (signature, `iss`, `aud` and untrusted extra
//! audiences, `exp`, `nonce`) plus what it leaves to the caller: the algorithm allow-list
//! (asymmetric algorithms only, so `none` and HMAC-with-the-client-secret are refused), `iat`
//! not in the future, `azp`, and the RFC 9207 `iss` response parameter.

mod transport;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use identity::{
    AuthorizationRequest, ExternalIdentity, IdentityProvider, PendingSsoLogin, SsoFailure, SsoProviderInfo,
};
use kernel::Clock;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreGrantType, CoreIdTokenClaims, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet, LogoutProviderMetadata, LogoutRequest,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::transport::TracedHttp;

/// One provider's configuration, as the application read it.
#[derive(Clone)]
pub struct OidcSettings {
    /// Id, label, issuer and linking policy.
    pub info: SsoProviderInfo,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret; `None` for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// Scopes to request (`openid` is always requested).
    pub scopes: Vec<String>,
    /// `{public_url}/auth/oidc/{id}/callback`.
    pub redirect_uri: String,
    /// Where the provider sends the browser after signing out (`{public_url}/login`).
    pub post_logout_redirect_uri: String,
    /// Timeout of each request to the provider.
    pub http_timeout: Duration,
    /// How long discovery is trusted before it is fetched again.
    pub metadata_ttl: Duration,
    /// Allowed clock difference with the provider for `iat`.
    pub clock_skew: chrono::Duration,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("info", &self.info)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl OidcSettings {
    /// Settings with the defaults for timeouts and caching.
    pub fn new(info: SsoProviderInfo, client_id: String, client_secret: Option<String>, public_url: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        Self {
            redirect_uri: format!("{base}/auth/oidc/{}/callback", info.id),
            post_logout_redirect_uri: format!("{base}/login"),
            info,
            client_id,
            client_secret,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            http_timeout: Duration::from_secs(10),
            metadata_ttl: Duration::from_hours(1),
            clock_skew: chrono::Duration::seconds(60),
        }
    }
}

/// Discovery fields beyond the core ones that we use: the RFC 9207 flag.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IssParameter {
    /// Whether the provider sends `iss` in authorization responses.
    #[serde(default)]
    authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for IssParameter {}

type Metadata = ProviderMetadata<
    LogoutProviderMetadata<IssParameter>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Signature algorithms an ID token may use: asymmetric ones only.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

struct Discovered {
    metadata: Metadata,
    fetched_at: Instant,
}

/// A configured OpenID provider.
pub struct OidcProvider {
    settings: OidcSettings,
    http: TracedHttp,
    clock: Arc<dyn Clock>,
    discovered: Mutex<Option<Arc<Discovered>>>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// A provider; nothing is fetched until the first sign-in.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS roots).
    pub fn new(settings: OidcSettings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // No redirects: a provider's endpoints answer directly, and following them would let a
        // compromised document point us anywhere.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.http_timeout)
            .connect_timeout(settings.http_timeout)
            .build()?;
        Ok(Self { settings, http: TracedHttp(http), clock, discovered: Mutex::new(None) })
    }

    /// The provider's metadata: cached, or fetched when missing or older than the TTL (a
    /// failed refresh keeps serving the stale copy).
    async fn discovery(&self) -> Result<Arc<Discovered>, SsoFailure> {
        let mut slot = self.discovered.lock().await;
        if let Some(d) = slot.as_ref().filter(|d| d.fetched_at.elapsed() < self.settings.metadata_ttl) {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(self.settings.info.issuer.clone())
            .map_err(|e| SsoFailure::Unavailable(format!("issuer URL: {e}")))?;
        match Metadata::discover_async(issuer, &self.http).await {
            Ok(metadata) => {
                let fresh = Arc::new(Discovered { metadata, fetched_at: Instant::now() });
                *slot = Some(fresh.clone());
                Ok(fresh)
            }
            Err(e) => match slot.as_ref() {
                Some(stale) => {
                    tracing::warn!(provider = %self.settings.info.id, error = %e, "discovery refresh failed; using the cached copy");
                    Ok(stale.clone())
                }
                None => Err(SsoFailure::Unavailable(format!("discovery: {e}"))),
            },
        }
    }

    /// Fetches the key set again (after an unknown key id) and caches it with the metadata.
    async fn refresh_keys(&self, seen: &Arc<Discovered>) -> Result<Arc<Discovered>, SsoFailure> {
        let mut slot = self.discovered.lock().await;
        // Another callback may have refreshed them meanwhile.
        if let Some(current) = slot.as_ref().filter(|d| !Arc::ptr_eq(d, seen)) {
            return Ok(current.clone());
        }
        let keys = JsonWebKeySet::fetch_async(seen.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| SsoFailure::Unavailable(format!("key set: {e}")))?;
        let metadata = seen.metadata.clone().set_jwks(keys);
        let fresh = Arc::new(Discovered { metadata, fetched_at: seen.fetched_at });
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    fn client(&self, d: &Discovered) -> Result<Client, SsoFailure> {
        let redirect = RedirectUrl::new(self.settings.redirect_uri.clone())
            .map_err(|e| SsoFailure::Unavailable(format!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            d.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Verifies `token`'s claims with the keys of `d`.
    fn verify(
        &self,
        d: &Discovered,
        token: &openidconnect::core::CoreIdToken,
        nonce: &str,
    ) -> Result<CoreIdTokenClaims, ClaimsVerificationError> {
        let client = self.client(d).map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let now = self.clock.now();
        let skew = self.settings.clock_skew;
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(ALLOWED_ALGS)
            .set_time_fn(move || now)
            .set_issue_time_verifier_fn(move |iat: DateTime<Utc>| {
                if iat > now + skew { Err(format!("issued in the future ({iat})")) } else { Ok(()) }
            });
        token.claims(&verifier, &Nonce::new(nonce.to_owned())).cloned()
    }
}

#[async_trait::async_trait]
impl IdentityProvider for OidcProvider {
    fn info(&self) -> &SsoProviderInfo {
        &self.settings.info
    }

    async fn authorization_request(&self) -> Result<AuthorizationRequest, SsoFailure> {
        let d = self.discovery().await?;
        let client = self.client(&d)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = self.settings.scopes.iter().filter(|s| s.as_str() != "openid").map(|s| Scope::new(s.clone()));
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizationRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    async fn complete(
        &self,
        pending: &PendingSsoLogin,
        code: &str,
        iss: Option<String>,
    ) -> Result<ExternalIdentity, SsoFailure> {
        let d = self.discovery().await?;
        // RFC 9207: a response naming another issuer is a mix-up; a provider that promises the
        // parameter must send it.
        let iss_promised =
            d.metadata.additional_metadata().additional_metadata.authorization_response_iss_parameter_supported;
        match iss {
            Some(iss) if iss != self.settings.info.issuer => return Err(SsoFailure::IssuerMismatch),
            None if iss_promised == Some(true) => return Err(SsoFailure::IssuerMismatch),
            _ => {}
        }
        let response = self
            .client(&d)?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoFailure::Unavailable(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::Request(e) => SsoFailure::Unavailable(format!("token endpoint: {e}")),
                other => SsoFailure::InvalidToken(format!("token response: {other}")),
            })?;
        let token =
            response.id_token().ok_or_else(|| SsoFailure::InvalidToken("the token response has no ID token".into()))?;
        let claims = match self.verify(&d, token, &pending.nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let refreshed = self.refresh_keys(&d).await?;
                self.verify(&refreshed, token, &pending.nonce)
            }
            other => other,
        }
        .map_err(|e| SsoFailure::InvalidToken(e.to_string()))?;
        check_authorized_party(&claims, &self.settings.client_id)?;
        Ok(identity_of(&claims))
    }

    async fn end_session_url(&self) -> Option<String> {
        let d = self.discovery().await.ok()?;
        let endpoint = d.metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut request = LogoutRequest::from(endpoint).set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Ok(back) = PostLogoutRedirectUrl::new(self.settings.post_logout_redirect_uri.clone()) {
            request = request.set_post_logout_redirect_uri(back);
        }
        Some(request.http_get_url().to_string())
    }
}

/// OpenID Connect Core §3.1.3.7 steps 4–5, which `openidconnect` leaves to the client: with
/// several audiences `azp` must be present, and when present it must be us.
fn check_authorized_party(claims: &CoreIdTokenClaims, client_id: &str) -> Result<(), SsoFailure> {
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != client_id => {
            Err(SsoFailure::InvalidToken(format!("authorized party '{}' is not this client", azp.as_str())))
        }
        None if claims.audiences().len() > 1 => {
            Err(SsoFailure::InvalidToken("several audiences but no authorized party".into()))
        }
        _ => Ok(()),
    }
}

fn identity_of(claims: &CoreIdTokenClaims) -> ExternalIdentity {
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()));
    ExternalIdentity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        name,
    }
}
