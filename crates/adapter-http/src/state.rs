//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use audit::AuditService;
use board::BoardService;
use connector::EventFeed;
use connector::webhooks::WebhookService;
use dashboard::DashboardService;
use identity::IdentityService;
use notes::NoteService;
use reminders::{NotificationService, ReminderService};

/// Checks the application's dependencies for `/health/ready`.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync {
    /// Each dependency's name and whether it answered in time.
    async fn check(&self) -> Vec<(&'static str, Result<(), String>)>;
}

/// HTTP-level settings, decided at start.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The external base URL (`https://corkboard.example.com`).
    pub public_url: String,
    /// Whether cookies are `Secure` and `__Host-` prefixed: true unless the public URL is
    /// plain-http localhost.
    pub secure_cookies: bool,
    /// Whether `X-Forwarded-For` is trusted for the client IP (behind a known proxy).
    pub trust_forwarded_for: bool,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long a request may take before it is answered with 503.
    pub request_timeout: Duration,
    /// Origins allowed by CORS (exact matches).
    pub cors_origins: Vec<String>,
    /// Requests allowed per caller and per client address.
    pub rate_limits: crate::RateLimits,
}

impl HttpSettings {
    /// Settings for a server at `public_url`, with defaults for the rest.
    pub fn for_public_url(public_url: &str) -> Self {
        let insecure_localhost = public_url.strip_prefix("http://").is_some_and(|rest| {
            let authority = rest.split('/').next().unwrap_or_default();
            let host = authority
                .rsplit_once(':')
                .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
                .map_or(authority, |(h, _)| h);
            matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        });
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            secure_cookies: !insecure_localhost,
            trust_forwarded_for: false,
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            rate_limits: crate::RateLimits::default(),
        }
    }

    /// The session cookie's name: `__Host-corkboard_session` under https.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure_cookies { "__Host-corkboard_session" } else { "corkboard_session" }
    }

    /// The name of the cookie that binds a single sign-on attempt to the browser.
    pub fn sso_cookie_name(&self) -> &'static str {
        if self.secure_cookies { "__Host-corkboard_sso" } else { "corkboard_sso" }
    }
}

/// What every handler reaches: the application's services and the HTTP settings. Handed to
/// [`crate::router`], which shares it behind one [`AppState`].
pub struct AppContext {
    /// Users, sign-in, sessions, tokens.
    pub identity: Arc<IdentityService>,
    /// Boards and everything on them.
    pub boards: Arc<BoardService>,
    /// The audit log.
    pub audit: Arc<AuditService>,
    /// Notes, personal and on boards.
    pub notes: Arc<NoteService>,
    /// Personal reminders.
    pub reminders: Arc<ReminderService>,
    /// The caller's notifications of fired reminders.
    pub notifications: Arc<NotificationService>,
    /// Dashboards, kept per user while exact.
    pub dashboard: Arc<DashboardService>,
    /// The event feed.
    pub events: Arc<EventFeed>,
    /// Webhook subscriptions.
    pub webhooks: Arc<WebhookService>,
    /// Answers kept for `Idempotency-Key` retries.
    pub idempotency: Arc<dyn kernel::IdempotencyStore>,
    /// Request counts for the rate limits.
    pub rate_limiter: Arc<dyn kernel::RateLimiter>,
    /// Dependency checks.
    pub readiness: Arc<dyn Readiness>,
    /// HTTP settings.
    pub settings: Arc<HttpSettings>,
    /// Rendered board views, kept while exact.
    pub board_views: crate::BoardViewCache,
    /// Renders the process's metrics for `GET /metrics` (the exporter lives in the app).
    pub metrics: crate::MetricsRender,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// The state of every handler: the [`AppContext`] behind one reference count. Axum clones the
/// state for each request, and one counter is one atomic operation where a struct of a dozen
/// `Arc`s was a dozen, contended between the worker threads (a sixth of the CPU time of
/// `GET /health/live`; docs/performance.md).
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppContext>);

impl From<AppContext> for AppState {
    fn from(context: AppContext) -> Self {
        Self(Arc::new(context))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppContext;

    fn deref(&self) -> &AppContext {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::HttpSettings;

    #[test]
    fn only_plain_http_loopback_gets_insecure_cookies() {
        for url in ["http://localhost:8080", "http://127.0.0.1:8080/", "http://[::1]:80", "http://localhost"] {
            assert!(!HttpSettings::for_public_url(url).secure_cookies, "{url}");
        }
        for url in
            ["https://localhost", "http://localhost.example.com", "http://127.0.0.1.nip.io", "http://0.0.0.0:8080"]
        {
            assert!(HttpSettings::for_public_url(url).secure_cookies, "{url}");
        }
        assert_eq!(HttpSettings::for_public_url("https://x.io").session_cookie_name(), "__Host-corkboard_session");
    }
}
