//! The benchmark harness behind `just bench`: starts the release `corkboard` binary on
//! PostgreSQL + Redis (or on the embedded SQLite default), seeds it through the API, drives load
//! with `wrk` from a second process on loopback, measures the ceilings the figures are divided by
//! in the same run (a bare Axum server returning the same bytes, and the board fetch's SQL through
//! a raw pooled driver, alone and behind bare Axum), and writes a Markdown report. A tool, not a
//! test: nothing here runs under `cargo test`, and it links no server crate, it drives the binary.
//!
//! Method and targets: `docs/performance.md` and `docs/decisions/0030-benchmark-method.md`.

mod api;
mod ceiling;
mod db_ceiling;
mod load;
mod otlp_sink;
mod report;
mod run;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "corkboard-bench", about = "Corkboard's benchmark harness (see docs/performance.md)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole benchmark and write the report.
    Run(RunArgs),
    /// Serve fixed bytes from memory with a bare Axum router (the framework ceiling), and with
    /// `--database-url` the same bytes after an unchanged board fetch's statements through raw
    /// sqlx (its database ceiling, end to end); started by `run` as a process of its own.
    CeilingServer {
        /// Address to listen on.
        #[arg(long)]
        listen: SocketAddr,
        /// The bytes answered on `GET /health/live`.
        #[arg(long)]
        health: PathBuf,
        /// The bytes answered on `GET /board` and `GET /board/unchanged`.
        #[arg(long)]
        board: PathBuf,
        /// The compressed bytes answered on `GET /board/unchanged/gzip`.
        #[arg(long)]
        board_gzip: PathBuf,
        /// The server's database, for the `/board/unchanged` routes.
        #[command(flatten)]
        database: ceiling::Database,
    },
    /// Accept OTLP/HTTP trace exports and drop them, to measure a server exporting traces
    /// (`run --server-env OTEL_EXPORTER_OTLP_ENDPOINT=http://{listen}`).
    OtlpSink {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:4318")]
        listen: SocketAddr,
    },
}

/// Which storage the server runs on.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
pub(crate) enum Backend {
    /// PostgreSQL for data, Redis for sessions (production).
    Postgres,
    /// The embedded default: one SQLite file, sessions in it too.
    Sqlite,
}

impl Backend {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres-redis",
            Self::Sqlite => "sqlite",
        }
    }
}

/// Options of `corkboard-bench run`.
#[derive(clap::Args, Debug, Clone)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct RunArgs {
    /// The release `corkboard` binary to measure.
    #[arg(long)]
    pub(crate) server: PathBuf,
    /// Storage backend.
    #[arg(long, value_enum, default_value = "postgres")]
    pub(crate) backend: Backend,
    /// A PostgreSQL URL whose user may create databases; the bench (re)creates its own there.
    #[arg(long, env = "BENCH_PG_ADMIN_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub(crate) pg_admin_url: String,
    /// The database the bench drops and recreates on every run.
    #[arg(long, default_value = "corkboard_bench")]
    pub(crate) pg_database: String,
    /// Redis for sessions (PostgreSQL backend); keys get a prefix of the run's own.
    #[arg(long, env = "BENCH_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub(crate) redis_url: String,
    /// Seconds of load per endpoint and concurrency level.
    #[arg(long, default_value_t = 8)]
    pub(crate) duration: u64,
    /// Rounds of the health probe and bare Axum, and of the 500-card board and its end-to-end
    /// ceilings, alternated at each level (each of `duration` seconds); the round with the
    /// median ratio is reported.
    #[arg(long, default_value_t = 3)]
    pub(crate) rounds: u32,
    /// Concurrency levels (open connections).
    #[arg(long, value_delimiter = ',', default_value = "1,8,32,128")]
    pub(crate) levels: Vec<u32>,
    /// Where the report goes (`<date>-<backend>[-<label>].md`).
    #[arg(long, default_value = "docs/performance")]
    pub(crate) out_dir: PathBuf,
    /// A word added to the report's name and title (`before`, `after`, …).
    #[arg(long)]
    pub(crate) label: Option<String>,
    /// Port of the server under test; the ceiling server uses the next one.
    #[arg(long, default_value_t = 18080)]
    pub(crate) port: u16,
    /// Extra `NAME=value` environment settings (`CORKBOARD_*`, `OTEL_*`) for the server under
    /// test (repeatable), to compare a setting's effect.
    #[arg(long = "server-env")]
    pub(crate) server_env: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Run(args) => runtime.block_on(run::run(args)),
        Command::CeilingServer { listen, health, board, board_gzip, database } => {
            let bodies = ceiling::Bodies { health: &health, board: &board, board_gzip: &board_gzip };
            runtime.block_on(ceiling::serve(listen, &bodies, &database))
        }
        Command::OtlpSink { listen } => runtime.block_on(otlp_sink::serve(listen)),
    }
}
