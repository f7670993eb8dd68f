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
use std::sync::Arc;
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

impl RateLimits {
    /// The quotas a request counts against, named: its client address's; its credential's when
    /// it carries one; the stricter count of sign-ins per address when it is one.
    fn quotas(&self, caller: bool, sign_in: bool) -> impl Iterator<Item = (&'static str, u32)> {
        [("ip", self.per_ip)]
            .into_iter()
            .chain(caller.then_some(("caller", self.per_caller)))
            .chain(sign_in.then_some(("sign-in", self.sign_in_per_ip)))
    }
}

/// The `RateLimit-Policy` values, made once for each set of quotas a request can count against
/// rather than formatted for every request.
#[derive(Debug)]
pub(crate) struct Policies([HeaderValue; 4]);

impl Policies {
    fn of(limits: &RateLimits) -> Self {
        let value = |caller, sign_in| {
            let window = limits.window.as_secs();
            let text: Vec<String> = limits
                .quotas(caller, sign_in)
                .map(|(name, quota)| format!("\"{name}\";q={quota};w={window}"))
                .collect();
            HeaderValue::try_from(text.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
        };
        Self([value(false, false), value(true, false), value(false, true), value(true, true)])
    }

    fn get(&self, caller: bool, sign_in: bool) -> &HeaderValue {
        &self.0[usize::from(caller) | usize::from(sign_in) << 1]
    }
}

/// The rate limits' middleware state: the application's, with its [`Policies`].
pub(crate) fn middleware_state(app: &AppState) -> (AppState, Arc<Policies>) {
    (app.clone(), Arc::new(Policies::of(&app.settings.rate_limits)))
}

/// The `/api/v1` routes: a 429 is a problem document. Paths here are below the prefix.
pub(crate) async fn api(State((s, policies)): State<(AppState, Arc<Policies>)>, req: Request, next: Next) -> Response {
    limit(
        &s,
        &policies,
        req,
        next,
        |parts| parts.method == Method::POST && parts.uri.path() == "/auth/login",
        |retry| too_many(retry).into_response(),
    )
    .await
}

/// The pages and single sign-on routes: a 429 is a page.
pub(crate) async fn pages(
    State((s, policies)): State<(AppState, Arc<Policies>)>,
    req: Request,
    next: Next,
) -> Response {
    let sign_in = |parts: &Parts| {
        let path = parts.uri.path();
        (parts.method == Method::POST && path == "/login")
            || (path.starts_with("/auth/oidc/") && path.ends_with("/login"))
    };
    limit(&s, &policies, req, next, sign_in, |retry| {
        let mut page = crate::pages::PageError::from(too_many(retry)).into_response();
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry));
        page
    })
    .await
}

async fn limit(
    s: &AppState,
    policies: &Policies,
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
    // The keys the request is counted under, in the order of its quotas.
    let caller = credential_digest(&parts, s);
    let sign_in = is_sign_in(&parts);
    let mut keys = vec![format!("ip:{ip}")];
    keys.extend(caller.as_ref().map(|caller| format!("caller:{caller}")));
    if sign_in {
        keys.push(format!("sign-in:{ip}"));
    }
    let req = Request::from_parts(parts, body);
    let hits = match s.rate_limiter.hit(&keys, limits.window).await {
        Ok(hits) if hits.counts.len() == keys.len() => hits,
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
    let quotas = || limits.quotas(caller.is_some(), sign_in).zip(&hits.counts);
    let exceeded = quotas().any(|((_, quota), n)| *n > u64::from(quota));
    let mut response = if exceeded { refuse(reset.max(1)) } else { next.run(req).await };
    let mut state = String::with_capacity(32 * keys.len());
    for ((name, quota), n) in quotas() {
        let sep = if state.is_empty() { "" } else { ", " };
        let remaining = u64::from(quota).saturating_sub(*n);
        let _ = write!(state, "{sep}\"{name}\";r={remaining};t={reset}");
    }
    let headers = response.headers_mut();
    headers.insert(POLICY, policies.get(caller.is_some(), sign_in).clone());
    if let Ok(state) = HeaderValue::try_from(state) {
        headers.insert(STATE, state);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_of_quotas_has_its_policy_made_once() {
        let limits = RateLimits { per_caller: 4, per_ip: 1000, sign_in_per_ip: 3, ..RateLimits::default() };
        let policies = Policies::of(&limits);
        let expected = [
            (false, false, r#""ip";q=1000;w=60"#),
            (true, false, r#""ip";q=1000;w=60, "caller";q=4;w=60"#),
            (false, true, r#""ip";q=1000;w=60, "sign-in";q=3;w=60"#),
            (true, true, r#""ip";q=1000;w=60, "caller";q=4;w=60, "sign-in";q=3;w=60"#),
        ];
        for (caller, sign_in, policy) in expected {
            assert_eq!(policies.get(caller, sign_in), policy, "caller {caller}, sign-in {sign_in}");
        }
    }
}
