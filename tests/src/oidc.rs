//! A small OpenID provider for tests, on loopback: discovery, a key set, an end-session
//! endpoint, and a token endpoint that checks the PKCE verifier and returns an ID token forged
//! exactly as the test asks ([`Forge`]). The test plays the browser: it reads `state`, `nonce`
//! and the PKCE challenge from the authorization URL Corkboard redirects to, has the provider
//! issue a code for them ([`TestProvider::issue_code`]), and calls Corkboard's callback.
//!
//! ID tokens are built by hand (header, claims, RS256 signature with keys from
//! `tests/fixtures/oidc`), so a test can produce what no honest provider would: a wrong
//! issuer or audience, an expired token, a broken signature, `alg: none`, an HMAC keyed with the
//! client secret, a key id the key set
//! does not (yet) publish.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::PrivateSigningKey as _;
use openidconnect::core::{CoreHmacKey, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The client id Corkboard is registered with.
pub const CLIENT_ID: &str = "corkboard-test";
/// Its client secret.
pub const CLIENT_SECRET: &str = "test-secret";

/// How the next ID token is made (all fields but the ones set are honest).
#[derive(Debug, Clone, Default)]
pub struct Forge {
    /// `iss` instead of the provider's issuer.
    pub issuer: Option<String>,
    /// `aud` instead of `[CLIENT_ID]`.
    pub audience: Option<Vec<String>>,
    /// `azp`, when set.
    pub authorized_party: Option<String>,
    /// Seconds from now to `exp` (default 300; negative: already expired).
    pub expires_in: Option<i64>,
    /// `nonce` instead of the one the authorization request carried.
    pub nonce: Option<String>,
    /// How the token is signed.
    pub signing: Signing,
    /// `sub` (default `subject-1`).
    pub subject: Option<String>,
    /// `email` (default `sso-user@example.com`) and whether it is verified (default true).
    pub email: Option<(String, bool)>,
}

/// How a forged ID token is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Signing {
    /// RS256 with the first key (kid `key1`), which the key set publishes from the start.
    #[default]
    FirstKey,
    /// RS256 with the second key (kid `key2`), published only after [`TestProvider::rotate_keys`].
    SecondKey,
    /// RS256 with the first key, then a byte of the signature flipped.
    Broken,
    /// `alg: none` and no signature.
    AlgNone,
    /// `alg: HS256` keyed with the client secret: a valid MAC, but not an algorithm we accept.
    HmacWithClientSecret,
}

struct Code {
    nonce: String,
    challenge: String,
}

struct Inner {
    issuer: String,
    keys: [CoreRsaPrivateSigningKey; 2],
    /// Which keys the key set publishes.
    published: Vec<usize>,
    codes: HashMap<String, Code>,
    next: Forge,
    iss_parameter: bool,
    token_requests: usize,
}

/// A running test provider.
#[derive(Clone)]
pub struct TestProvider {
    inner: Arc<Mutex<Inner>>,
    /// The issuer (`http://127.0.0.1:{port}`).
    pub issuer: String,
}

impl std::fmt::Debug for TestProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestProvider").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

fn key(name: &str, pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(openidconnect::JsonWebKeyId::new(name.into()))).expect("test key")
}

impl TestProvider {
    /// Starts the provider on a free loopback port, publishing only the first key.
    /// `iss_parameter` is whether its discovery promises the RFC 9207 `iss` parameter.
    pub async fn start(iss_parameter: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let keys = [
            key("key1", include_str!("../fixtures/oidc/key1.pem")),
            key("key2", include_str!("../fixtures/oidc/key2.pem")),
        ];
        let inner = Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            keys,
            published: vec![0],
            codes: HashMap::new(),
            next: Forge::default(),
            iss_parameter,
            token_requests: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(inner.clone());
        // Lives as long as the test's runtime.
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { inner, issuer }
    }

    /// How the next ID token is made.
    pub fn forge_next(&self, forge: Forge) {
        self.inner.lock().expect("lock").next = forge;
    }

    /// Publishes the second key too (a rotation: both are valid for a while).
    pub fn rotate_keys(&self) {
        self.inner.lock().expect("lock").published = vec![0, 1];
    }

    /// How many token requests reached the provider.
    pub fn token_requests(&self) -> usize {
        self.inner.lock().expect("lock").token_requests
    }

    /// A code for an authorization URL Corkboard produced: what a user's consent would yield.
    /// Returns the code and the URL's `state`.
    pub fn issue_code(&self, authorization_url: &str) -> (String, String) {
        let url = reqwest::Url::parse(authorization_url).expect("authorization URL");
        let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(params.get("response_type").map(String::as_str), Some("code"));
        assert_eq!(params.get("client_id").map(String::as_str), Some(CLIENT_ID));
        assert_eq!(params.get("code_challenge_method").map(String::as_str), Some("S256"), "PKCE S256");
        assert!(params.get("scope").is_some_and(|s| s.split(' ').any(|s| s == "openid")));
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        let record = Code { nonce: params["nonce"].clone(), challenge: params["code_challenge"].clone() };
        self.inner.lock().expect("lock").codes.insert(code.clone(), record);
        (code, params["state"].clone())
    }
}

async fn discovery(State(inner): State<Arc<Mutex<Inner>>>) -> Json<Value> {
    let inner = inner.lock().expect("lock");
    let issuer = &inner.issuer;
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    });
    if inner.iss_parameter {
        doc["authorization_response_iss_parameter_supported"] = json!(true);
    }
    Json(doc)
}

async fn jwks(State(inner): State<Arc<Mutex<Inner>>>) -> Json<Value> {
    let inner = inner.lock().expect("lock");
    let keys: Vec<Value> = inner
        .published
        .iter()
        .map(|&i| serde_json::to_value(inner.keys[i].as_verification_key()).expect("jwk"))
        .collect();
    Json(json!({ "keys": keys }))
}

async fn token(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let mut inner = inner.lock().expect("lock");
    inner.token_requests += 1;
    let refuse = |error: &str| (axum::http::StatusCode::BAD_REQUEST, Json(json!({ "error": error })));
    let Some(code) = form.get("code").and_then(|c| inner.codes.remove(c)) else {
        return refuse("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != code.challenge {
        return refuse("invalid_grant");
    }
    let id_token = forge(&inner, &inner.next, &code.nonce);
    (
        axum::http::StatusCode::OK,
        Json(json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token })),
    )
}

fn forge(inner: &Inner, f: &Forge, nonce: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let (email, verified) = f.email.clone().unwrap_or_else(|| ("sso-user@example.com".into(), true));
    let mut claims = json!({
        "iss": f.issuer.clone().unwrap_or_else(|| inner.issuer.clone()),
        "sub": f.subject.clone().unwrap_or_else(|| "subject-1".into()),
        "aud": f.audience.clone().unwrap_or_else(|| vec![CLIENT_ID.to_owned()]),
        "exp": now + f.expires_in.unwrap_or(300),
        "iat": now,
        "nonce": f.nonce.clone().unwrap_or_else(|| nonce.to_owned()),
        "email": email,
        "email_verified": verified,
        "name": "Sso User",
    });
    if let Some(azp) = &f.authorized_party {
        claims["azp"] = json!(azp);
    }
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"));
    let header = match f.signing {
        Signing::AlgNone => json!({ "alg": "none", "typ": "JWT" }),
        Signing::HmacWithClientSecret => json!({ "alg": "HS256", "typ": "JWT" }),
        Signing::SecondKey => json!({ "alg": "RS256", "typ": "JWT", "kid": "key2" }),
        Signing::FirstKey | Signing::Broken => json!({ "alg": "RS256", "typ": "JWT", "kid": "key1" }),
    };
    let signing_input = format!("{}.{}", b64(&header), b64(&claims));
    let rs256 = |key: &CoreRsaPrivateSigningKey| {
        key.sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, signing_input.as_bytes()).expect("signature")
    };
    let signature = match f.signing {
        Signing::AlgNone => Vec::new(),
        Signing::HmacWithClientSecret => CoreHmacKey::new(CLIENT_SECRET)
            .sign(&CoreJwsSigningAlgorithm::HmacSha256, signing_input.as_bytes())
            .expect("signature"),
        Signing::FirstKey => rs256(&inner.keys[0]),
        Signing::SecondKey => rs256(&inner.keys[1]),
        Signing::Broken => {
            let mut signature = rs256(&inner.keys[0]);
            signature[10] ^= 0x55;
            signature
        }
    };
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
