//! Who is calling: a bearer personal access token or the session cookie. Cookie-authenticated
//! unsafe requests must echo the session's CSRF token; token-authenticated ones are limited
//! by the token's scopes.

use axum::extract::FromRequestParts;
use axum::http::{Method, header, request::Parts};
use axum_extra::extract::CookieJar;
use identity::{Authenticated, Credential, Scope};
use kernel::{Caller, RequestMeta};
use subtle::ConstantTimeEq as _;

use crate::error::ApiError;
use crate::middleware::RequestContext;
use crate::state::AppState;

/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated request.
#[derive(Clone)]
pub struct Auth {
    /// The caller, for use cases.
    pub caller: Caller,
    /// How the caller authenticated.
    pub via: Authenticated,
    /// The session cookie's secret, when the caller used one.
    pub(crate) session_secret: Option<String>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("caller", &self.caller).finish_non_exhaustive()
    }
}

impl Auth {
    /// The caller, if the credential allows `scope` (sessions allow everything).
    pub fn require(&self, scope: Scope) -> Result<&Caller, ApiError> {
        match &self.via {
            Authenticated::Token { token, .. } if !token.scopes.allows(scope) => Err(ApiError::forbidden(
                "INSUFFICIENT_SCOPE",
                format!("This token lacks the '{}' scope.", scope.as_str()),
            )),
            _ => Ok(&self.caller),
        }
    }

    /// The caller, if they signed in through a browser session: managing sessions and tokens
    /// needs one, so that a leaked token cannot mint more.
    pub fn require_session(&self) -> Result<&Caller, ApiError> {
        match &self.via {
            Authenticated::Session { .. } => Ok(&self.caller),
            Authenticated::Token { .. } => {
                Err(ApiError::forbidden("SESSION_REQUIRED", "This operation needs a signed-in session, not a token."))
            }
        }
    }

    /// The session's CSRF token, for cookie-authenticated callers.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.via {
            Authenticated::Session { session, .. } => Some(&session.csrf_token),
            Authenticated::Token { .. } => None,
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unauthenticated("Use 'Authorization: Bearer <token>'."))?;
            let via = state
                .identity
                .authenticate(Credential::Token(token))
                .await
                .map_err(crate::error_map::identity)?
                .ok_or_else(|| ApiError::unauthenticated("The token is unknown, expired or revoked."))?;
            return Ok(Self { caller: via.caller(request_meta(parts, state)), via, session_secret: None });
        }
        let auth = session_auth(parts, state)
            .await?
            .ok_or_else(|| ApiError::unauthenticated("Sign in, or send a bearer token."))?;
        if !is_safe(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).map(axum::http::HeaderValue::as_bytes).unwrap_or_default();
            if !auth.csrf_matches(sent) {
                return Err(ApiError::forbidden(
                    "CSRF_TOKEN_INVALID",
                    "Send the session's csrf_token in the X-CSRF-Token header.",
                ));
            }
        }
        Ok(auth)
    }
}

impl Auth {
    /// Whether `sent` is the session's CSRF token, compared in constant time. Nothing matches
    /// a token-authenticated caller, and an empty value matches nothing.
    pub(crate) fn csrf_matches(&self, sent: &[u8]) -> bool {
        let Some(expected) = self.csrf_token() else { return false };
        !sent.is_empty() && bool::from(sent.ct_eq(expected.as_bytes()))
    }
}

/// The caller behind the session cookie: `None` without a cookie, or when its session has
/// ended. Shared by the API's [`Auth`] extractor and the pages, which check CSRF their own way
/// (a header for the API, a form field for pages).
pub(crate) async fn session_auth(parts: &Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    let meta = request_meta(parts, state);
    let Some(secret) = session_secret(parts, state) else { return Ok(None) };
    let via = state.identity.authenticate(Credential::Session(&secret)).await.map_err(crate::error_map::identity)?;
    Ok(via.map(|via| Auth { caller: via.caller(meta), via, session_secret: Some(secret) }))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session cookie's value, under either name.
pub(crate) fn session_secret(parts: &Parts, state: &AppState) -> Option<String> {
    let jar = CookieJar::from_headers(&parts.headers);
    jar.get(state.settings.session_cookie_name()).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

/// Where the request came from, for the audit log.
pub(crate) fn request_meta(parts: &Parts, state: &AppState) -> RequestMeta {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let (trace_id, traceparent) = crate::trace::trace_context(&parts.headers);
    RequestMeta {
        request_id: parts.extensions.get::<RequestContext>().map(|c| c.id().to_owned()),
        trace_id,
        traceparent,
        client_ip: client_ip(parts, state).map(|ip| ip.to_string()),
        user_agent: header("user-agent").map(|ua| ua.chars().take(512).collect()),
    }
}

/// The client's address: the last `X-Forwarded-For` entry when the proxy in front is trusted
/// (a proxy appends the address it saw, so earlier entries are whatever the client sent), else
/// the connection's peer.
pub(crate) fn client_ip(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let forwarded = state
        .settings
        .trust_forwarded_for
        .then(|| parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok());
    forwarded.or_else(|| parts.extensions.get::<RequestContext>().and_then(|c| c.peer).map(|addr| addr.ip()))
}

/// A digest naming the credential that authenticates the request (the bearer token, else the
/// session cookie), whether or not it is valid; `None` without one. Keys of idempotency
/// records and rate limits are scoped by it; the credential itself is never kept.
pub(crate) fn credential_digest(parts: &Parts, state: &AppState) -> Option<String> {
    use sha2::{Digest as _, Sha256};
    let digest = match parts.headers.get(header::AUTHORIZATION) {
        Some(authorization) => Sha256::new().chain_update(b"bearer:").chain_update(authorization.as_bytes()),
        None => Sha256::new().chain_update(b"session:").chain_update(session_secret(parts, state)?),
    };
    // `encode_to_slice`: `hex::encode` pushes one character at a time (1,600 instructions).
    let mut text = [0u8; 32];
    hex::encode_to_slice(&digest.finalize()[..16], &mut text).ok()?;
    String::from_utf8(text.to_vec()).ok()
}
