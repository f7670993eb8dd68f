//! Rate limits (decision 0050), on the `/api/v1` routes and the pages (the health probes,
//! `/metrics` and the docs stay outside). Every request counts against its client address;
//! one that carries a credential (bearer token or session cookie, valid or not) also against
//! that credential; a sign-in also against a stricter count per address. The counts are kept
//! by the [`RateLimiter`](kernel::RateLimiter) port in fixed windows: in Redis when configured
//! (shared by every instance), else in memory.
//!
//! Every answer carries `RateLimit-Policy` and `RateLimit` (IETF draft
//! `draft-ietf-httpapi-ratelimit-headers`: each policy's quota `q` per window `w` seconds, and
//! what `r` remains for `t` more seconds). Past a quota the answer is 429 with `Retry-After`,
//! a problem document under `/api/v1` and a page elsewhere. When the store does not answer, the
//! request passes unlimited (and the failure is logged): a Redis outage must not take the API
//! down with it.

use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::auth::{client_ip, credential_digest};
use crate::error::ApiError;
use crate::state::AppState;

/// `RateLimit-Policy`: the quotas that apply.
pub(crate) const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`: what remains of them.
pub(crate) const STATE: HeaderName = HeaderName::from_static("ratelimit");

/// How many requests are allowed per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Whether requests are counted and limited at all.
    pub enabled: bool,
    /// The window the quotas are counted in.
    pub window: Duration,
    /// Requests per window with one credential.
    pub per_caller: u32,
    /// Requests per window from one client address.
    pub per_ip: u32,
    /// Sign-in attempts per window from one client address.
    pub sign_in_per_ip: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { enabled: true, window: Duration::from_mins(1), per_caller: 1200, per_ip: 6000, sign_in_per_ip: 20 }
    }
}

/// The `/api/v1` routes: a 429 is a problem document. Paths here are below the prefix.
pub(crate) async fn api(State(s): State<AppState>, req: Request, next: Next) -> Response {
    limit(
        &s,
        req,
        next,
        |parts| parts.method == Method::POST && parts.uri.path() == "/auth/login",
        |retry| too_many(retry).into_response(),
    )
    .await
}

/// The pages and single sign-on routes: a 429 is a page.
pub(crate) async fn pages(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let sign_in = |parts: &Parts| {
        let path = parts.uri.path();
        (parts.method == Method::POST && path == "/login")
            || (path.starts_with("/auth/oidc/") && path.ends_with("/login"))
    };
    limit(&s, req, next, sign_in, |retry| {
        let mut page = crate::pages::PageError::from(too_many(retry)).into_response();
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry));
        page
    })
    .await
}

async fn limit(
    s: &AppState,
    req: Request,
    next: Next,
    is_sign_in: impl Fn(&Parts) -> bool,
    refuse: impl Fn(u64) -> Response,
) -> Response {
    let limits = s.settings.rate_limits;
    if !limits.enabled {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let ip = client_ip(&parts, s).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    // The quotas the request counts against (name, quota), and the keys they are counted under.
    let mut policies = vec![("ip", limits.per_ip)];
    let mut keys = vec![format!("ip:{ip}")];
    if let Some(caller) = credential_digest(&parts, s) {
        policies.push(("caller", limits.per_caller));
        keys.push(format!("caller:{caller}"));
    }
    if is_sign_in(&parts) {
        policies.push(("sign-in", limits.sign_in_per_ip));
        keys.push(format!("sign-in:{ip}"));
    }
    let req = Request::from_parts(parts, body);
    let hits = match s.rate_limiter.hit(&keys, limits.window).await {
        Ok(hits) if hits.counts.len() == policies.len() => hits,
        Ok(_) => {
            tracing::warn!("the rate limiter answered for other keys; the request passes unlimited");
            return next.run(req).await;
        }
        Err(error) => {
            tracing::warn!(%error, "the rate limiter did not answer; the request passes unlimited");
            return next.run(req).await;
        }
    };
    let reset = hits.reset.as_secs() + u64::from(hits.reset.subsec_nanos() > 0);
    let exceeded = policies.iter().zip(&hits.counts).any(|((_, quota), n)| *n > u64::from(*quota));
    let mut response = if exceeded { refuse(reset.max(1)) } else { next.run(req).await };
    let (mut policy, mut state) = (String::new(), String::new());
    for ((name, quota), n) in policies.iter().zip(&hits.counts) {
        let sep = if policy.is_empty() { "" } else { ", " };
        let remaining = u64::from(*quota).saturating_sub(*n);
        let _ = write!(policy, "{sep}\"{name}\";q={quota};w={}", limits.window.as_secs());
        let _ = write!(state, "{sep}\"{name}\";r={remaining};t={reset}");
    }
    let headers = response.headers_mut();
    for (name, value) in [(POLICY, policy), (STATE, state)] {
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The 429 problem, to retry after `seconds`.
fn too_many(seconds: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("Too many requests; try again in {seconds} s."),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
}
