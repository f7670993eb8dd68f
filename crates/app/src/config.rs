//! One typed configuration: `CORKBOARD_*` environment variables over an optional TOML file
//! (named by `CORKBOARD_CONFIG`), over defaults. Validated at start, every bad value reported.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A value that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for development.
    Pretty,
    /// One JSON object per line, for production.
    Json,
}

/// Everything Corkboard can be told.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Where the SQLite file lives when no database URL is given.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; overrides the SQLite default.
    pub database_url: Option<Secret>,
    /// `redis://…`; when set, sessions live in Redis.
    pub redis_url: Option<Secret>,
    /// The external base URL; defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// Whether this instance runs background workers.
    pub workers: bool,
    /// The log filter (`tracing` `EnvFilter` syntax).
    pub log: String,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// Apply pending migrations at start.
    pub migrate_on_start: bool,
    /// How long in-flight requests may take to finish after a shutdown signal, in seconds.
    pub shutdown_grace_secs: u64,
    /// Prefix of every Redis key.
    pub redis_key_prefix: String,
    /// HTTP limits and policies.
    pub http: HttpConfig,
    /// Database pool.
    pub database: DatabaseConfig,
    /// Sign-in and sessions.
    pub auth: AuthConfig,
    /// The reminder scheduler worker.
    pub reminders: RemindersConfig,
    /// The audit log's sealing worker.
    pub audit: AuditConfig,
    /// The dashboard's cache.
    pub dashboard: DashboardConfig,
    /// Webhook deliveries.
    pub webhooks: WebhooksConfig,
    /// Requests allowed per caller and per client address.
    pub rate_limits: RateLimitsConfig,
    /// Single sign-on through OpenID Connect providers.
    pub oidc: OidcConfig,
}

/// Single sign-on: one table per provider (`[[oidc.providers]]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The providers, in the order their buttons appear.
    #[serde(default)]
    pub providers: Vec<OidcProviderConfig>,
    /// Timeout of each request to a provider, in seconds.
    #[serde(default = "default_oidc_timeout")]
    pub http_timeout_secs: u64,
    /// How long a provider's discovery document is cached, in seconds.
    #[serde(default = "default_oidc_metadata_ttl")]
    pub metadata_ttl_secs: u64,
}

fn default_oidc_timeout() -> u64 {
    10
}

fn default_oidc_metadata_ttl() -> u64 {
    3600
}

/// One OpenID provider. The redirect URI to register is `{public_url}/auth/oidc/{id}/callback`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// Appears in `/auth/oidc/{id}/login`: letters, digits, `-` and `_`.
    pub id: String,
    /// The sign-in button's label.
    pub display_name: String,
    /// The issuer identifier (discovery is at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// Our client id at the provider.
    pub client_id: String,
    /// Our client secret; omit for a public client (PKCE only).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// Scopes to request; `openid` is always requested.
    #[serde(default = "default_oidc_scopes")]
    pub scopes: Vec<String>,
    /// Whether a first sign-in creates the user.
    #[serde(default)]
    pub create_users: bool,
    /// Whether a verified email links to an existing account with that email.
    #[serde(default)]
    pub trust_email: bool,
    /// Accept a plain-http issuer off localhost (a development provider on a private network).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_oidc_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

/// The reminder scheduler worker (runs when `workers` is on).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemindersConfig {
    /// How often the worker looks for due reminders, in milliseconds.
    pub poll_interval_ms: u64,
    /// How many reminders (and occurrences) one tick fires at most.
    pub batch_size: u64,
}

/// The worker that seals the audit log in hash-chained batches (runs when `workers` is on).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// How often the worker seals the events written since the last seal, in milliseconds.
    pub seal_interval_ms: u64,
    /// How many events one seal covers at most.
    pub seal_batch_size: u64,
    /// How long events are kept, in days; `0` keeps them for ever. Older events are removed a
    /// whole seal at a time, never the newest seal.
    pub retention_days: u32,
}

/// Rate limits (decision 0050): counted in Redis when it is configured, else in memory.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Whether requests are counted and limited.
    pub enabled: bool,
    /// The window the quotas are counted in, in seconds.
    pub window_secs: u64,
    /// Requests per window with one credential (token or session).
    pub per_caller: u32,
    /// Requests per window from one client address.
    pub per_ip: u32,
    /// Sign-in attempts per window from one client address.
    pub sign_in_per_ip: u32,
}

/// Webhook deliveries (decision 0049); the worker runs when `workers` is on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How often the worker fans new events out and makes due attempts, in milliseconds.
    pub poll_interval_ms: u64,
    /// How many events one fan-out takes, and how many deliveries one tick claims.
    pub batch_size: u32,
    /// How many requests are in flight at once per instance.
    pub concurrency: u32,
    /// How long one request may take, in seconds.
    pub timeout_secs: u64,
    /// Allow targets on loopback, private and link-local addresses. Off by default: a webhook
    /// could otherwise probe the server's own network (server-side request forgery).
    pub allow_private_targets: bool,
    /// How long delivered and failed deliveries (and their attempts) are kept, in days; `0`
    /// keeps them for ever. Pending deliveries are kept whatever their age.
    pub retention_days: u32,
}

/// The dashboard's cache (decision 0046): in Redis when it is configured, else in memory.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardConfig {
    /// How long a dashboard is kept at most, in seconds (plus up to a fifth, at random). Changes
    /// that concern the user are seen at once; this bounds what only time changes (cards
    /// becoming overdue) and changes by others outside the user's boards.
    pub cache_ttl_secs: u64,
    /// Memory for kept dashboards when there is no Redis, in MiB.
    pub memory_cache_mib: u64,
}

/// HTTP limits and policies.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// Longest a request may take, in seconds (then 503).
    pub request_timeout_secs: u64,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// Trust `X-Forwarded-For` for the client IP (only behind a proxy you control).
    pub trust_forwarded_for: bool,
    /// Memory for rendered board views kept while exact, in MiB; 0 turns the cache off.
    pub board_view_cache_mib: u64,
}

/// Database pool settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Pool size on PostgreSQL; on SQLite, the most reading connections (at most 4) beside the
    /// one writing connection.
    pub max_connections: u32,
    /// Per-statement timeout on PostgreSQL, in milliseconds.
    pub statement_timeout_ms: u64,
}

/// Sign-in and sessions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Whether local password accounts may sign in.
    pub password_login: bool,
    /// A session unused this long ends, in minutes.
    pub session_idle_minutes: i64,
    /// A session ends this long after sign-in whatever happens, in hours.
    pub session_absolute_hours: i64,
    /// How many password hashes may run at once (each takes 19 MiB and a core for ~50 ms).
    pub hash_concurrency: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            public_url: None,
            workers: true,
            log: "info,sqlx=warn,sea_orm=warn,tower_http=warn".into(),
            log_format: LogFormat::Pretty,
            migrate_on_start: true,
            shutdown_grace_secs: 30,
            redis_key_prefix: "corkboard:".into(),
            http: HttpConfig {
                body_limit_bytes: 1024 * 1024,
                request_timeout_secs: 30,
                cors_origins: Vec::new(),
                trust_forwarded_for: false,
                board_view_cache_mib: 32,
            },
            database: DatabaseConfig {
                // Four per CPU, 4 to 32 (decision 0038); 16 if the CPUs are unknown.
                max_connections: std::thread::available_parallelism()
                    .map_or(16, |n| u32::try_from(n.get().saturating_mul(4)).unwrap_or(32).clamp(4, 32)),
                statement_timeout_ms: 10_000,
            },
            auth: AuthConfig {
                password_login: true,
                session_idle_minutes: 12 * 60,
                session_absolute_hours: 7 * 24,
                // Half the cores: a sign-in storm then leaves the other half to the runtime, so
                // reads keep their latency (docs/performance.md, the sign-in storm).
                hash_concurrency: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            },
            reminders: RemindersConfig { poll_interval_ms: 1000, batch_size: 100 },
            audit: AuditConfig { seal_interval_ms: 1000, seal_batch_size: 250, retention_days: 0 },
            dashboard: DashboardConfig { cache_ttl_secs: 60, memory_cache_mib: 4 },
            rate_limits: RateLimitsConfig {
                enabled: true,
                window_secs: 60,
                per_caller: 1200,
                per_ip: 6000,
                sign_in_per_ip: 20,
            },
            webhooks: WebhooksConfig {
                poll_interval_ms: 1000,
                batch_size: 100,
                concurrency: 8,
                timeout_secs: 10,
                allow_private_targets: false,
                retention_days: 30,
            },
            oidc: OidcConfig {
                providers: Vec::new(),
                http_timeout_secs: default_oidc_timeout(),
                metadata_ttl_secs: default_oidc_metadata_ttl(),
            },
        }
    }
}

/// Why the configuration was refused: one line per problem.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Defaults, then the TOML file named by `CORKBOARD_CONFIG`, then `CORKBOARD_*` variables
    /// (nested keys with `__`: `CORKBOARD_HTTP__BODY_LIMIT_BYTES`).
    pub fn load() -> Result<Self, ConfigErrors> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Ok(path) = std::env::var("CORKBOARD_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(ConfigErrors(vec![format!("CORKBOARD_CONFIG: no such file '{path}'")]));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("CORKBOARD_").ignore(&["CONFIG"]).split("__"));
        let config: Self =
            figment.extract().map_err(|e| ConfigErrors(e.into_iter().map(|e| e.to_string()).collect()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that types cannot.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut errors = Vec::new();
        if self.listen.parse::<SocketAddr>().is_err() {
            errors.push(format!("listen: '{}' is not an address like 127.0.0.1:8080", self.listen));
        }
        if let Some(url) = &self.public_url
            && (!(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10)
        {
            errors.push(format!("public_url: '{url}' must be an http:// or https:// URL"));
        }
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:")) {
                errors.push("database_url: must start with postgres://, postgresql:// or sqlite:".into());
            }
        }
        if let Some(url) = &self.redis_url
            && !(url.expose().starts_with("redis://") || url.expose().starts_with("rediss://"))
        {
            errors.push("redis_url: must start with redis:// or rediss://".into());
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log).is_err() {
            errors.push(format!("log: '{}' is not a valid filter", self.log));
        }
        if self.http.body_limit_bytes == 0 {
            errors.push("http.body_limit_bytes: must be greater than 0".into());
        }
        if self.http.board_view_cache_mib > 4096 {
            errors.push("http.board_view_cache_mib: must be at most 4096".into());
        }
        if self.http.request_timeout_secs == 0 {
            errors.push("http.request_timeout_secs: must be greater than 0".into());
        }
        for origin in &self.http.cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
                errors.push(format!("http.cors_origins: '{origin}' must be an origin like https://app.example.com"));
            }
        }
        let on_postgres = self.database_url.as_ref().is_some_and(|u| u.expose().starts_with("postgres"));
        if self.database.max_connections < 2 && on_postgres {
            // Migrating at start holds one connection for the advisory lock and runs on another.
            errors.push("database.max_connections: must be at least 2 on PostgreSQL".into());
        } else if self.database.max_connections == 0 {
            errors.push("database.max_connections: must be greater than 0".into());
        }
        within(&mut errors, "auth.session_idle_minutes", self.auth.session_idle_minutes, 1..=525_600, Some("a year"));
        within(&mut errors, "auth.session_absolute_hours", self.auth.session_absolute_hours, 1..=8_760, Some("a year"));
        if self.auth.hash_concurrency == 0 {
            errors.push("auth.hash_concurrency: must be greater than 0".into());
        }
        within(
            &mut errors,
            "reminders.poll_interval_ms",
            self.reminders.poll_interval_ms,
            10..=3_600_000,
            Some("an hour"),
        );
        within(&mut errors, "reminders.batch_size", self.reminders.batch_size, 1..=10_000, None);
        within(&mut errors, "audit.seal_interval_ms", self.audit.seal_interval_ms, 10..=3_600_000, Some("an hour"));
        within(&mut errors, "audit.seal_batch_size", self.audit.seal_batch_size, 1..=10_000, None);
        self.validate_webhooks_and_limits(&mut errors);
        if self.audit.retention_days > 36_500 {
            errors.push("audit.retention_days: must be 0 (keep for ever) to 36500".into());
        }
        within(&mut errors, "dashboard.cache_ttl_secs", self.dashboard.cache_ttl_secs, 1..=3600, Some("an hour"));
        within(&mut errors, "dashboard.memory_cache_mib", self.dashboard.memory_cache_mib, 1..=1024, None);
        self.validate_oidc(&mut errors);
        if errors.is_empty() { Ok(()) } else { Err(ConfigErrors(errors)) }
    }

    /// The webhook dispatcher's and the rate limits' settings.
    fn validate_webhooks_and_limits(&self, errors: &mut Vec<String>) {
        within(errors, "webhooks.poll_interval_ms", self.webhooks.poll_interval_ms, 10..=3_600_000, Some("an hour"));
        within(errors, "webhooks.batch_size", self.webhooks.batch_size, 1..=1_000, None);
        within(errors, "webhooks.concurrency", self.webhooks.concurrency, 1..=256, None);
        within(errors, "webhooks.timeout_secs", self.webhooks.timeout_secs, 1..=60, None);
        if self.webhooks.retention_days > 36_500 {
            errors.push("webhooks.retention_days: must be 0 (keep for ever) to 36500".into());
        }
        within(errors, "rate_limits.window_secs", self.rate_limits.window_secs, 1..=86_400, Some("a day"));
        for (name, quota) in [
            ("per_caller", self.rate_limits.per_caller),
            ("per_ip", self.rate_limits.per_ip),
            ("sign_in_per_ip", self.rate_limits.sign_in_per_ip),
        ] {
            if quota == 0 {
                errors
                    .push(format!("rate_limits.{name}: must be at least 1 (turn limits off with rate_limits.enabled)"));
            }
        }
    }

    fn validate_oidc(&self, errors: &mut Vec<String>) {
        within(errors, "oidc.http_timeout_secs", self.oidc.http_timeout_secs, 1..=120, None);
        within(errors, "oidc.metadata_ttl_secs", self.oidc.metadata_ttl_secs, 60..=86_400, Some("a day"));
        let mut seen = std::collections::HashSet::new();
        for (i, p) in self.oidc.providers.iter().enumerate() {
            let at = format!("oidc.providers[{i}]");
            let id_ok = (1..=40).contains(&p.id.len())
                && p.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                errors.push(format!("{at}.id: '{}' must be 1 to 40 letters, digits, '-' or '_'", p.id));
            } else if !seen.insert(p.id.as_str()) {
                errors.push(format!("{at}.id: '{}' is used twice", p.id));
            }
            if p.display_name.trim().is_empty() || p.display_name.chars().count() > 100 {
                errors.push(format!("{at}.display_name: must be 1 to 100 characters"));
            }
            let local = p.issuer.starts_with("http://127.0.0.1") || p.issuer.starts_with("http://localhost");
            let http_ok = p.issuer.starts_with("http://") && (local || p.allow_http);
            if !(p.issuer.starts_with("https://") || http_ok) || p.issuer.contains(['?', '#']) {
                errors.push(format!(
                    "{at}.issuer: '{}' must be an https:// URL without query or fragment (http:// only on localhost or with allow_http)",
                    p.issuer
                ));
            }
            if p.client_id.is_empty() {
                errors.push(format!("{at}.client_id: must not be empty"));
            }
            if p.scopes.iter().any(|s| s.is_empty() || s.contains(char::is_whitespace)) {
                errors.push(format!("{at}.scopes: each scope must be one word"));
            }
        }
    }

    /// The database URL in force: the configured one, or the SQLite file under `data_dir`.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("corkboard.db").display()),
        }
    }

    /// The public URL in force.
    pub fn effective_public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

/// Reports `name` when `value` is outside `range`: "must be 1 to 60", with what the upper end
/// amounts to when that helps (`note`: "an hour").
fn within<T: PartialOrd + std::fmt::Display + Copy>(
    errors: &mut Vec<String>,
    name: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    note: Option<&str>,
) {
    if !range.contains(&value) {
        let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
        errors.push(format!("{name}: must be {} to {}{note}", range.start(), range.end()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_embedded() {
        let c = Config::default();
        assert!(c.validate().is_ok());
        assert!(c.effective_database_url().starts_with("sqlite://"));
        assert_eq!(c.effective_public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn every_bad_value_is_reported() {
        let mut c = Config {
            listen: "nowhere".into(),
            database_url: Some(Secret::from("mysql://x".to_owned())),
            ..Config::default()
        };
        c.http.body_limit_bytes = 0;
        let errors = c.validate().unwrap_err().0;
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[test]
    fn worker_settings_are_bounded() {
        let mut c = Config::default();
        c.reminders.poll_interval_ms = 0;
        c.reminders.batch_size = 0;
        c.audit.seal_interval_ms = 5;
        c.audit.seal_batch_size = 10_001;
        c.audit.retention_days = 36_501;
        c.dashboard.cache_ttl_secs = 0;
        c.dashboard.memory_cache_mib = 0;
        c.webhooks.poll_interval_ms = 1;
        c.webhooks.batch_size = 0;
        c.webhooks.concurrency = 0;
        c.webhooks.timeout_secs = 61;
        c.webhooks.retention_days = 36_501;
        c.rate_limits.window_secs = 0;
        c.rate_limits.sign_in_per_ip = 0;
        let errors = c.validate().unwrap_err().0;
        assert_eq!(errors.len(), 14, "{errors:?}");
        assert!(
            errors.contains(&"reminders.poll_interval_ms: must be 10 to 3600000 (an hour)".to_owned()),
            "{errors:?}"
        );
        assert!(errors.contains(&"webhooks.timeout_secs: must be 1 to 60".to_owned()), "{errors:?}");
    }

    #[test]
    fn oidc_providers_are_checked_one_by_one() {
        let provider = |id: &str, issuer: &str| OidcProviderConfig {
            id: id.into(),
            display_name: "Corp".into(),
            issuer: issuer.into(),
            client_id: "corkboard".into(),
            client_secret: Some(Secret::from("s3cret".to_owned())),
            scopes: default_oidc_scopes(),
            create_users: false,
            trust_email: false,
            allow_http: false,
        };
        let mut c = Config::default();
        c.oidc.providers = vec![
            provider("corp", "https://idp.example.com"),
            provider("dev", "http://127.0.0.1:9090"),
            provider("corp", "https://other.example.com"),
            provider("bad/id", "http://idp.example.com"),
        ];
        let errors = c.validate().unwrap_err().0;
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("used twice") && errors[2].contains("issuer"), "{errors:?}");
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let c =
            Config { database_url: Some(Secret::from("postgres://u:hunter2@db/x".to_owned())), ..Config::default() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
