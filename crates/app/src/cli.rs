//! The `corkboard` command line.

use std::io::Read as _;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use identity::{DisplayName, Email, Password};
use sea_orm_migration::MigratorTrait as _;

use crate::{App, Config, Services, shutdown_signal, telemetry};

/// Corkboard: boards, notes and reminders for teams.
#[derive(Debug, Parser)]
#[command(name = "corkboard", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Manage the database schema.
    Migrate {
        /// `up`, `down` or `status`.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Administer users.
    Admin {
        /// The action.
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Inspect the configuration.
    Config {
        /// The action.
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// Schema migrations.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

/// User administration.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create an administrator; the password is read from standard input.
    Create {
        /// The administrator's email.
        #[arg(long)]
        email: String,
        /// The administrator's display name.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (the only way, so it never shows in `ps`).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Configuration.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate the configuration and print it with secrets redacted.
    Check,
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            println!("{}", adapter_http::openapi().to_pretty_json()?);
            Ok(())
        }
        Command::Config { action: ConfigAction::Check } => {
            let config = Config::load()?;
            println!("configuration is valid:\n{config:#?}");
            Ok(())
        }
        Command::Serve => serve(Config::load()?).await,
        Command::Migrate { action } => migrate(&Config::load()?, action).await,
        Command::Admin { action: AdminAction::Create { email, name, password_stdin: _ } } => {
            create_admin(&Config::load()?, &email, &name).await
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let telemetry = telemetry::init(&config)?;
    if telemetry.traces_exported() {
        tracing::info!("exporting traces over OTLP");
    }
    let app = App::build(&config).await?;
    let url = config.effective_public_url();
    println!("Corkboard is listening on {url} (API docs at {url}/docs)");
    if !app.services().identity.has_users().await? {
        println!(
            "No users yet. Create the first administrator with:\n  \
             echo 'a-long-password' | cargo run --release -- admin create --email you@example.com --name 'Your Name' --password-stdin\n  \
             (or, with the installed binary: corkboard admin create --email … --name … --password-stdin)"
        );
    }
    let stopped = app.run_until_stopped(shutdown_signal()).await;
    telemetry.shutdown().await;
    stopped
}

async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    let mut config = config.clone();
    config.migrate_on_start = false;
    let services = Services::connect(&config).await?;
    let conn = services.db.conn();
    match action {
        MigrateAction::Up => {
            migrations::Migrator::up(conn, None).await?;
            println!("all migrations applied");
        }
        MigrateAction::Down => {
            migrations::Migrator::down(conn, Some(1)).await?;
            println!("reverted the last migration");
        }
        MigrateAction::Status => {
            for m in migrations::Migrator::get_migration_with_status(conn).await? {
                println!("{:<40} {}", m.name(), m.status());
            }
        }
    }
    Ok(())
}

async fn create_admin(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("cannot read the password from standard input")?;
    let password = input.strip_suffix('\n').map_or(input.as_str(), |p| p.strip_suffix('\r').unwrap_or(p));
    if password.is_empty() {
        bail!("no password on standard input");
    }
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = DisplayName::parse(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let services = Services::connect(config).await?;
    let user = services.identity.create_admin(email, name, password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created administrator {} ({})", user.email, user.id);
    Ok(())
}
