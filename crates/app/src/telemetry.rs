//! The one place that sets up logging.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber: pretty or JSON lines, filtered by `config.log`. JSON lines
/// carry the current span's fields (request id, route, method).
pub fn init(config: &Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&config.log)?;
    let registry = tracing_subscriber::registry().with(filter);
    match config.log_format {
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false))
            .try_init()?,
        LogFormat::Pretty => registry.with(tracing_subscriber::fmt::layer().compact()).try_init()?,
    }
    Ok(())
}
