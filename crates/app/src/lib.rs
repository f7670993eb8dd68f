//! The composition root: the only crate that knows every concrete type. It reads the
//! configuration, connects the stores, builds the services and the router, and runs the
//! server until told to stop.

pub mod cli;
pub mod config;
mod dashboard_sources;
mod metrics;
mod readiness;
pub mod telemetry;
mod wiring;
mod workers;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use wiring::Services;

use crate::readiness::Checks;

/// A built application, listening, ready to run.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    readiness: Arc<Checks>,
    grace: Duration,
    services: Services,
    workers: Option<WorkerIntervals>,
}

/// How often each background worker ticks.
#[derive(Debug, Clone, Copy)]
struct WorkerIntervals {
    reminders: Duration,
    seals: Duration,
    webhooks: Duration,
    /// How long done webhook deliveries are kept; `None` for ever.
    webhook_retention: Option<chrono::Duration>,
    /// How long audit events are kept; `None` for ever.
    audit_retention: Option<chrono::Duration>,
}

impl App {
    /// Connects to the stores (migrating when configured to), wires the services and binds
    /// the listener. Port 0 in `config.listen` picks a free port ([`App::port`]).
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
        // Without a configured public URL the server is reached where it listens; with port 0
        // that is the port just picked, which redirects and origin checks must name.
        let bound;
        let config = if config.public_url.is_none() {
            let mut c = config.clone();
            c.public_url = Some(format!("http://{}", listener.local_addr().context("no local address")?));
            bound = c;
            &bound
        } else {
            config
        };
        let services = Services::connect(config).await?;
        let readiness = Arc::new(Checks::new(services.db.clone(), services.redis.clone()));
        let router = services.router(config, readiness.clone());
        let workers = config.workers.then(|| WorkerIntervals {
            reminders: Duration::from_millis(config.reminders.poll_interval_ms),
            seals: Duration::from_millis(config.audit.seal_interval_ms),
            webhooks: Duration::from_millis(config.webhooks.poll_interval_ms),
            webhook_retention: (config.webhooks.retention_days > 0)
                .then(|| chrono::Duration::days(i64::from(config.webhooks.retention_days))),
            audit_retention: (config.audit.retention_days > 0)
                .then(|| chrono::Duration::days(i64::from(config.audit.retention_days))),
        });
        Ok(Self {
            listener,
            router,
            readiness,
            grace: Duration::from_secs(config.shutdown_grace_secs),
            services,
            workers,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// The services, for tests and the CLI.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves (and runs the background workers, when configured) until `shutdown` resolves;
    /// then readiness turns 503, new connections are refused, in-flight requests get
    /// `shutdown_grace_secs` to finish, and the workers stop after their current tick.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let serve = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        let server = tokio::spawn(serve.into_future());
        let workers: Vec<_> = self
            .workers
            .map(|every| {
                vec![
                    workers::spawn_scheduler(self.services.scheduler.clone(), every.reminders, stop.child_token()),
                    workers::spawn_sealer(
                        self.services.sealer.clone(),
                        every.seals,
                        every.audit_retention,
                        stop.child_token(),
                    ),
                    workers::spawn_dispatcher(
                        self.services.dispatcher.clone(),
                        every.webhooks,
                        every.webhook_retention,
                        stop.child_token(),
                    ),
                ]
            })
            .unwrap_or_default();
        shutdown.await;
        tracing::info!("shutting down: draining in-flight requests");
        self.readiness.start_draining();
        stop.cancel();
        if let Ok(joined) = tokio::time::timeout(self.grace, server).await {
            joined.context("server task failed")?.context("server failed")?;
        } else {
            tracing::warn!(
                grace_secs = self.grace.as_secs(),
                "requests still running after the grace period; stopping"
            );
        }
        for worker in workers {
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "a background worker failed");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
