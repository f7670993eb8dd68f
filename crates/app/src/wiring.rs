//! Which adapter serves which port, decided once from the configuration.

use std::sync::Arc;
use std::time::Duration;

use adapter_http::{AppContext, BoardViewCache, HttpSettings, RateLimits, Readiness};
use adapter_memory::{MemoryDashboardCache, MemoryIdempotencyStore, MemoryRateLimiter};
use adapter_oidc::{OidcProvider, OidcSettings};
use adapter_redis::{RedisDashboardCache, RedisIdempotencyStore, RedisPool, RedisRateLimiter, RedisSessionStore};
use adapter_sea_orm::{
    Db, SeaAuditLog, SeaAuditSeals, SeaBoardStore, SeaDashboardStamps, SeaDeliveryQueue, SeaEventLog, SeaIdentityStore,
    SeaNoteStore, SeaReminderStore, SeaSessionStore, SeaSsoLoginStore, SeaWebhookStore,
};
use adapter_webhooks::{HttpWebhookSender, SenderSettings};
use anyhow::Context as _;
use audit::{AuditService, Sealer};
use board::BoardService;
use connector::EventFeed;
use connector::webhooks::{DispatchSettings, Dispatcher, WebhookService};
use dashboard::{DashboardCache, DashboardService};
use identity::{Argon2Hasher, IdentityProvider, IdentityService, SessionPolicy, SessionStore, SsoProviderInfo};
use kernel::{Clock, IdGen, IdempotencyStore, RateLimiter, SystemClock, UuidV7};
use notes::NoteService;
use reminders::{NotificationService, ReminderService, Scheduler};

use crate::config::Config;
use crate::dashboard_sources::DomainSources;

/// Memory for idempotency records without Redis: some 16,000 answers of a kilobyte (a day of
/// retried writes for a small team); when full, an answer is not kept and its retry executes.
const IDEMPOTENCY_MEMORY_BYTES: usize = 16 * 1024 * 1024;

/// Keys counted at once without Redis (callers and addresses of the current window); past it,
/// new keys are not limited until the window turns.
const RATE_LIMIT_MEMORY_KEYS: usize = 100_000;

/// The connected stores and the services built on them.
#[derive(Clone)]
pub struct Services {
    /// The relational store.
    pub db: Db,
    /// Redis, when configured.
    pub redis: Option<RedisPool>,
    /// Users, sign-in, sessions, tokens.
    pub identity: Arc<IdentityService>,
    /// Boards.
    pub boards: Arc<BoardService>,
    /// The audit log.
    pub audit: Arc<AuditService>,
    /// Notes.
    pub notes: Arc<NoteService>,
    /// Reminders.
    pub reminders: Arc<ReminderService>,
    /// The notifications feed.
    pub notifications: Arc<NotificationService>,
    /// Fires due reminders; the worker ticks it (see `workers`).
    pub scheduler: Arc<Scheduler>,
    /// Seals the audit log; the worker ticks it (see `workers`).
    pub sealer: Arc<Sealer>,
    /// Dashboards, read through the services above.
    pub dashboard: Arc<DashboardService>,
    /// The event feed.
    pub events: Arc<EventFeed>,
    /// Webhook subscriptions.
    pub webhooks: Arc<WebhookService>,
    /// Fans events out to webhooks and delivers them; the worker ticks it (see `workers`).
    pub dispatcher: Arc<Dispatcher>,
    /// Answers kept for `Idempotency-Key` retries: in Redis when configured, else in memory.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Request counts for the rate limits: in Redis when configured, else in memory.
    pub rate_limiter: Arc<dyn RateLimiter>,
}

impl Services {
    /// Connects, migrates when configured to, and builds every service.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let url = config.effective_database_url();
        if config.database_url.is_none() {
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
        }
        // The database counts its statements through a handle on the recorder's counter.
        crate::metrics::install();
        let db = Db::connect(
            &url,
            config.database.max_connections,
            Duration::from_millis(config.database.statement_timeout_ms),
        )
        .await?;
        if config.migrate_on_start {
            migrations::up_exclusive(db.conn()).await.context("migrations failed")?;
        }
        let redis = match &config.redis_url {
            Some(url) => Some(RedisPool::connect(url.expose(), &config.redis_key_prefix).await?),
            None => None,
        };
        Self::assemble(config, db, redis)
    }

    fn assemble(config: &Config, db: Db, redis: Option<RedisPool>) -> anyhow::Result<Self> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let ids: Arc<dyn IdGen> = Arc::new(UuidV7);
        let sessions: Arc<dyn SessionStore> = match &redis {
            Some(pool) => Arc::new(RedisSessionStore::new(pool.clone(), clock.clone())),
            None => Arc::new(SeaSessionStore::new(db.clone(), clock.clone())),
        };
        let policy = SessionPolicy {
            idle_timeout: chrono::Duration::minutes(config.auth.session_idle_minutes),
            absolute_timeout: chrono::Duration::hours(config.auth.session_absolute_hours),
        };
        let identity = IdentityService::new(
            Arc::new(SeaIdentityStore::new(db.clone())),
            sessions,
            Arc::new(Argon2Hasher::new(config.auth.hash_concurrency).context("starting the password hashing threads")?),
            clock.clone(),
            ids.clone(),
        )
        .with_session_policy(policy)
        .with_password_login(config.auth.password_login)
        .with_sso(sso_providers(config, &clock)?, Arc::new(SeaSsoLoginStore::new(db.clone(), clock.clone())));
        let board_store = Arc::new(SeaBoardStore::new(db.clone()));
        let boards = BoardService::new(board_store.clone(), board_store, clock.clone(), ids.clone());
        let note_store = Arc::new(SeaNoteStore::new(db.clone()));
        let notes = NoteService::new(note_store.clone(), note_store, clock.clone(), ids.clone());
        let reminder_store = Arc::new(SeaReminderStore::new(db.clone()));
        let reminders =
            ReminderService::new(reminder_store.clone(), reminder_store.clone(), clock.clone(), ids.clone());
        let notifications = NotificationService::new(reminder_store.clone(), clock.clone()).with_ids(ids.clone());
        let scheduler = Scheduler::new(reminder_store, clock.clone(), ids.clone(), config.reminders.batch_size);
        let (webhooks, dispatcher) = webhooks(config, &db, &clock, &ids);
        let seals = Arc::new(SeaAuditSeals::new(db.clone()));
        let audit = AuditService::new(Arc::new(SeaAuditLog::new(db.clone())), seals.clone());
        let sealer = Sealer::new(seals, clock.clone(), config.audit.seal_batch_size);
        let (boards, notes, reminders, notifications, audit) =
            (Arc::new(boards), Arc::new(notes), Arc::new(reminders), Arc::new(notifications), Arc::new(audit));
        let (dashboard_cache, idempotency, rate_limiter): (
            Arc<dyn DashboardCache>,
            Arc<dyn IdempotencyStore>,
            Arc<dyn RateLimiter>,
        ) = match &redis {
            Some(pool) => (
                Arc::new(RedisDashboardCache::new(pool.clone())),
                Arc::new(RedisIdempotencyStore::new(pool.clone())),
                Arc::new(RedisRateLimiter::new(pool.clone(), clock.clone())),
            ),
            None => (
                Arc::new(MemoryDashboardCache::new(config.dashboard.memory_cache_mib * 1024 * 1024, clock.clone())),
                Arc::new(MemoryIdempotencyStore::new(IDEMPOTENCY_MEMORY_BYTES, clock.clone())),
                Arc::new(MemoryRateLimiter::new(RATE_LIMIT_MEMORY_KEYS, clock.clone())),
            ),
        };
        let sources = DomainSources {
            boards: boards.clone(),
            notes: notes.clone(),
            reminders: reminders.clone(),
            notifications: notifications.clone(),
            audit: audit.clone(),
        };
        let dashboard = DashboardService::new(
            Arc::new(SeaDashboardStamps::new(db.clone())),
            Arc::new(sources),
            dashboard_cache,
            clock,
        )
        .with_ttl(Duration::from_secs(config.dashboard.cache_ttl_secs));
        let events = EventFeed::new(Arc::new(SeaEventLog::new(db.clone())));
        Ok(Self {
            db,
            redis,
            identity: Arc::new(identity),
            boards,
            audit,
            notes,
            reminders,
            notifications,
            scheduler: Arc::new(scheduler),
            sealer: Arc::new(sealer),
            dashboard: Arc::new(dashboard),
            events: Arc::new(events),
            webhooks: Arc::new(webhooks),
            dispatcher: Arc::new(dispatcher),
            idempotency,
            rate_limiter,
        })
    }

    /// The HTTP router over these services.
    pub(crate) fn router(&self, config: &Config, readiness: Arc<dyn Readiness>) -> axum::Router {
        let mut settings = HttpSettings::for_public_url(&config.effective_public_url());
        settings.body_limit = config.http.body_limit_bytes;
        settings.request_timeout = Duration::from_secs(config.http.request_timeout_secs);
        settings.cors_origins.clone_from(&config.http.cors_origins);
        settings.trust_forwarded_for = config.http.trust_forwarded_for;
        let limits = &config.rate_limits;
        settings.rate_limits = RateLimits {
            enabled: limits.enabled,
            window: Duration::from_secs(limits.window_secs),
            per_caller: limits.per_caller,
            per_ip: limits.per_ip,
            sign_in_per_ip: limits.sign_in_per_ip,
        };
        adapter_http::router(AppContext {
            identity: self.identity.clone(),
            boards: self.boards.clone(),
            audit: self.audit.clone(),
            notes: self.notes.clone(),
            reminders: self.reminders.clone(),
            notifications: self.notifications.clone(),
            dashboard: self.dashboard.clone(),
            events: self.events.clone(),
            webhooks: self.webhooks.clone(),
            idempotency: self.idempotency.clone(),
            rate_limiter: self.rate_limiter.clone(),
            readiness,
            settings: Arc::new(settings),
            board_views: BoardViewCache::new(config.http.board_view_cache_mib * 1024 * 1024),
            metrics: crate::metrics::render(self.db.clone()),
        })
    }
}

/// The webhook service and the dispatcher its worker ticks, with one HTTP client.
fn webhooks(config: &Config, db: &Db, clock: &Arc<dyn Clock>, ids: &Arc<dyn IdGen>) -> (WebhookService, Dispatcher) {
    let settings = &config.webhooks;
    let timeout = Duration::from_secs(settings.timeout_secs);
    let sender = HttpWebhookSender::new(SenderSettings { timeout, allow_private: settings.allow_private_targets });
    let service = WebhookService::new(
        Arc::new(SeaWebhookStore::new(db.clone())),
        clock.clone(),
        ids.clone(),
        settings.allow_private_targets,
    );
    let dispatcher = Dispatcher::new(
        Arc::new(SeaDeliveryQueue::new(db.clone())),
        Arc::new(sender),
        clock.clone(),
        ids.clone(),
        DispatchSettings {
            batch_size: settings.batch_size,
            concurrency: usize::try_from(settings.concurrency).unwrap_or(usize::MAX),
            // Longer than any request may take, so a claimed delivery is never sent twice at once.
            lease: chrono::Duration::seconds(i64::try_from(settings.timeout_secs).unwrap_or(60) * 2 + 30),
        },
    );
    (service, dispatcher)
}

/// One relying party per configured provider; nothing is fetched until a first sign-in.
fn sso_providers(config: &Config, clock: &Arc<dyn Clock>) -> anyhow::Result<Vec<Arc<dyn IdentityProvider>>> {
    let public_url = config.effective_public_url();
    config
        .oidc
        .providers
        .iter()
        .map(|p| {
            let info = SsoProviderInfo {
                id: p.id.clone(),
                display_name: p.display_name.clone(),
                issuer: p.issuer.clone(),
                create_users: p.create_users,
                trust_email: p.trust_email,
            };
            let secret = p.client_secret.as_ref().map(|s| s.expose().to_owned());
            let mut settings = OidcSettings::new(info, p.client_id.clone(), secret, &public_url);
            settings.scopes.clone_from(&p.scopes);
            settings.http_timeout = Duration::from_secs(config.oidc.http_timeout_secs);
            settings.metadata_ttl = Duration::from_secs(config.oidc.metadata_ttl_secs);
            let provider =
                OidcProvider::new(settings, clock.clone()).with_context(|| format!("OIDC provider '{}'", p.id))?;
            Ok(Arc::new(provider) as Arc<dyn IdentityProvider>)
        })
        .collect()
}
