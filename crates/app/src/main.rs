//! `corkboard`: parse the command line and run it.

use clap::Parser as _;

/// mimalloc instead of the system allocator: glibc's per-thread arenas kept hundreds of MiB of
/// freed argon2 and board-view buffers resident, and its malloc/free were a tenth of the CPU of
/// a board fetch (decision 0031, docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = app::cli::Cli::parse();
    match app::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
