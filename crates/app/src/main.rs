//! `corkboard`: parse the command line and run it.

use clap::Parser as _;

/// jemalloc instead of the system allocator: glibc's per-thread arenas kept hundreds of MiB of
/// freed argon2 and board-view buffers resident, and its malloc/free were a tenth of the CPU of
/// a board fetch (decision 0031). jemalloc rather than mimalloc (used until round 7): its
/// background thread gives freed memory back to the system a second after it is freed, also
/// when the server is idle and allocates nothing (decision 0042; settings in
/// `.cargo/config.toml`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

#[cfg(test)]
mod tests {
    /// The settings of `.cargo/config.toml` are compiled into jemalloc: without them freed
    /// memory would wait for the next allocation instead of going back while idle, and each of
    /// four arenas per CPU would keep partly used pages of its own.
    #[test]
    fn jemalloc_is_built_with_its_background_thread_and_two_arenas() {
        assert!(tikv_jemalloc_ctl::opt::background_thread::read().expect("jemalloc answers"));
        if std::env::var_os("_RJEM_MALLOC_CONF").is_none() {
            assert_eq!(tikv_jemalloc_ctl::opt::narenas::read().expect("jemalloc answers"), 2);
        }
    }
}
