//! The Markdown report: every figure of the run, each endpoint next to its ceiling, and the
//! targets of the issue with whether this run met them.

use std::fmt::Write as _;

use crate::Backend;
use crate::api::Sizes;
use crate::load::Figures;
use crate::server::Memory;

/// One endpoint (or ceiling) at each concurrency level.
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) levels: Vec<(u32, Figures)>,
}

/// An endpoint's ratio to its ceiling in each round the two took turns, at each level
/// (ascending).
pub(crate) type Rounds = Vec<(u32, Vec<f64>)>;

impl Series {
    pub(crate) fn named(name: &str) -> Self {
        Self { name: name.to_owned(), levels: Vec::new() }
    }

    /// The figures at `connections`, or at the nearest level measured.
    fn at(&self, connections: u32) -> Figures {
        self.levels.iter().min_by_key(|(c, _)| c.abs_diff(connections)).map(|(_, f)| *f).unwrap_or_default()
    }

    fn best_rps(&self) -> (u32, f64) {
        self.levels.iter().map(|(c, f)| (*c, f.rps())).fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a })
    }
}

/// Everything a run measured.
pub(crate) struct Results {
    pub(crate) backend: Backend,
    pub(crate) label: Option<String>,
    pub(crate) commit: String,
    pub(crate) dirty: bool,
    pub(crate) load_before: String,
    pub(crate) load_after: String,
    pub(crate) cpu: String,
    pub(crate) duration: u64,
    pub(crate) server_env: Vec<String>,
    /// The connections the server reads through, and the database ceilings' pool.
    pub(crate) pool: u32,
    pub(crate) sizes: Sizes,
    pub(crate) seed_seconds: f64,
    pub(crate) board_bytes: usize,
    /// The 500-card board gzip-compressed, as sent to a client that accepts it.
    pub(crate) board_gzip_bytes: usize,
    pub(crate) large_bytes: usize,
    /// Fresh after start, idle after seeding, at the end (with the high-water mark).
    pub(crate) memory: [Memory; 3],
    pub(crate) statements: f64,
    /// The database ceilings' statements per fetch: whole view, unchanged board.
    pub(crate) ceiling_statements: [usize; 2],
    pub(crate) health: Series,
    pub(crate) health_ceiling: Series,
    /// The health probe's ratio to bare Axum in each round.
    pub(crate) health_rounds: Rounds,
    /// The 500-card board's ratio to its end-to-end ceiling in each round, plain and gzip.
    pub(crate) board_rounds: Rounds,
    pub(crate) gzip_rounds: Rounds,
    pub(crate) board_small: Series,
    pub(crate) board_framework: Series,
    /// Bare Axum running an unchanged board's statements through raw sqlx, then answering the
    /// same bytes: the database ceiling of that fetch, end to end.
    pub(crate) board_http_ceiling: Series,
    /// The 500-card board asked for with `Accept-Encoding: gzip`.
    pub(crate) board_gzip: Series,
    /// The same ceiling answering the compressed bytes.
    pub(crate) board_gzip_http_ceiling: Series,
    pub(crate) board_db: Series,
    pub(crate) board_db_unchanged: Series,
    pub(crate) board_large: Series,
    pub(crate) notes: Series,
    /// The administrator's dashboard, unchanged during the run.
    pub(crate) dashboard: Series,
    pub(crate) card_create: Series,
    pub(crate) card_move: Series,
    /// The write ceiling: one row inserted and committed per transaction.
    pub(crate) commits: Series,
    pub(crate) sign_in: Series,
    /// Reads alone, reads during the storm, the storm's sign-ins.
    pub(crate) storm: [Figures; 3],
    /// The audit chain at the end of the run.
    pub(crate) audit: AuditChain,
}

/// The audit log's hash chain after the run's writes (decision 0045).
pub(crate) struct AuditChain {
    /// Events sealed and checked.
    pub(crate) events: u64,
    /// Seals checked.
    pub(crate) seals: u64,
    /// Whether the check found the chain intact.
    pub(crate) intact: bool,
    /// From the end of the last write phase to the start of the check that found no event
    /// left unsealed (zero when the first check did).
    pub(crate) caught_up: std::time::Duration,
    /// One check of the whole chain.
    pub(crate) check: std::time::Duration,
    /// From the end of the seeding until the sealer's counter last moved.
    pub(crate) after_seeding: std::time::Duration,
}

#[allow(clippy::cast_precision_loss)]
fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 10.0 { format!("{ms:.2}") } else { format!("{ms:.1}") }
}

#[allow(clippy::cast_precision_loss)]
fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// The report, as Markdown.
#[allow(clippy::too_many_lines)]
pub(crate) fn render(r: &Results) -> String {
    let mut o = String::new();
    let date = chrono::Local::now().format("%Y-%m-%d %H:%M %Z");
    let label = r.label.as_deref().map(|l| format!(" ({l})")).unwrap_or_default();
    let _ = writeln!(o, "# Benchmark: {}{label}, {date}\n", r.backend.name());
    let _ = writeln!(
        o,
        "Made by `just bench{}` (`crates/bench`); method in [../performance.md](../performance.md).\n",
        if r.backend == Backend::Sqlite { " sqlite" } else { "" }
    );
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(
        o,
        "| commit | `{}`{} |",
        r.commit,
        if r.dirty { " with uncommitted changes under crates/" } else { "" }
    );
    let _ = writeln!(o, "| machine | {}; server, load generator (wrk), PostgreSQL and Redis share it |", r.cpu);
    let _ = writeln!(o, "| load average (1, 5, 15 min) | {} before, {} after |", r.load_before, r.load_after);
    let _ = writeln!(
        o,
        "| load per point | {} s of `wrk` per endpoint and concurrency level, keep-alive connections, 30 s time-out |",
        r.duration
    );
    let storage = match r.backend {
        Backend::Postgres => format!("PostgreSQL (pool of {}) + Redis sessions", r.pool),
        Backend::Sqlite => format!(
            "SQLite (embedded default, WAL, one writing and up to {} reading connections), sessions in SQLite",
            r.pool
        ),
    };
    let _ = writeln!(o, "| storage | {storage} |");
    if !r.server_env.is_empty() {
        let _ = writeln!(o, "| server settings | `{}` |", r.server_env.join("`, `"));
    }
    let s = r.sizes;
    let _ = writeln!(
        o,
        "| data set | {} users; boards of {} and {} cards in 10 columns (8 labels, 1 label and 1 assignee per card); {} notes; {} reminders; seeded through the API in {:.0} s |",
        s.users, s.small_board_cards, s.large_board_cards, s.notes, s.reminders, r.seed_seconds
    );
    let _ = writeln!(
        o,
        "| board responses | {} bytes (500 cards; {} gzip-compressed), {} bytes (10,000 cards) |",
        r.board_bytes, r.board_gzip_bytes, r.large_bytes
    );
    let _ = writeln!(
        o,
        "| write load | `POST` card: fixed bodies, one per column of a separate 10-column board, taken in turn; move: every card of the 500-card board to the next column, cards in turn, so each request is a real move |"
    );
    let _ = writeln!(
        o,
        "| other loads | note search: `q=topicNN`, 100 topics in turn, 50 matching notes each; dashboard: the administrator's, nothing changing (its stamp read, the kept body sent); sign-in: the 100 users in turn |\n"
    );

    // Targets.
    let health_ratio = ratio(&r.health, &r.health_ceiling, 32);
    let board_ratio = ratio(&r.board_small, &r.board_db, 32);
    let board_ratio_unchanged = ratio(&r.board_small, &r.board_http_ceiling, 32);
    let gzip_ratio_unchanged = ratio(&r.board_gzip, &r.board_gzip_http_ceiling, 32);
    let board_ratio_statements = ratio(&r.board_small, &r.board_db_unchanged, 32);
    let board_p99 = r.board_small.at(32).p99_us;
    let large_p50 = r.board_large.at(1).p50_us;
    let (create_c, create) = r.card_create.best_rps();
    let (move_c, moves) = r.card_move.best_rps();
    let search_p50 = r.notes.at(1).p50_us;
    let [fresh, seeded, end] = r.memory;
    let [quiet, stormy, logins] = r.storm;
    #[allow(clippy::cast_precision_loss)]
    let storm_ratio = if quiet.p99_us == 0 { 0.0 } else { stormy.p99_us as f64 / quiet.p99_us as f64 };
    let _ = writeln!(o, "## Targets\n");
    let _ = writeln!(o, "| target | this run | |\n|---|---|---|");
    let _ = writeln!(
        o,
        "| `GET /health/live` ≥ 0.85 × bare Axum, 32 connections | {health_ratio:.2} ({}) | {} |",
        median_of(&r.health_rounds),
        met(health_ratio >= 0.85)
    );
    let _ = writeln!(
        o,
        "| 500-card board ≥ 0.8 × database ceiling (reading the whole view), 32 connections | {board_ratio:.2} | {} |",
        met(board_ratio >= 0.8)
    );
    let _ = writeln!(
        o,
        "| the same against the database ceiling of a fetch of an unchanged board, end to end: its statements (the token with its owner, the membership with the revision) through raw sqlx behind bare Axum, answering the same bytes | {board_ratio_unchanged:.2} ({}) | {} |",
        median_of(&r.board_rounds),
        met(board_ratio_unchanged >= 0.8)
    );
    let _ = writeln!(
        o,
        "| the same, asked for with `Accept-Encoding: gzip` (as browsers and most clients do), the ceiling answering the same compressed bytes | {gzip_ratio_unchanged:.2} ({}) | {} |",
        median_of(&r.gzip_rounds),
        met(gzip_ratio_unchanged >= 0.8)
    );
    // What a server with no cost of its own would reach against the statements alone: bare
    // Axum's time to send these bytes plus the statements' time, one after the other on the
    // same cores. The end-to-end ceiling above measures it.
    let attainable = ratio_of(1.0, 1.0 + ratio_of(r.board_db_unchanged.at(32).rps(), r.board_framework.at(32).rps()));
    let _ = writeln!(
        o,
        "| for comparison: the same against those statements alone, timed in the bench process (no response sent) | {board_ratio_statements:.2} (bare Axum's sending of the bytes plus the statements, one after the other, reaches about {attainable:.2}) | not a target: a fetch must send its bytes (decision 0056) |"
    );
    let _ = writeln!(
        o,
        "| 500-card board p99 < 50 ms, 32 connections | {} ms | {} |",
        ms(board_p99),
        met(board_p99 < 50_000)
    );
    let _ = writeln!(
        o,
        "| 10,000-card board p50 < 150 ms, 1 connection | {} ms | {} |",
        ms(large_p50),
        met(large_p50 < 150_000)
    );
    let _ = writeln!(
        o,
        "| card create ≥ 800 req/s (best level) | {create:.0} req/s at {create_c} ({:.2} × the commit ceiling there) | {} |",
        ratio_of(create, r.commits.at(create_c).rps()),
        met(create >= 800.0)
    );
    let _ = writeln!(
        o,
        "| card move ≥ 800 req/s (best level) | {moves:.0} req/s at {move_c} ({:.2} × the commit ceiling there) | {} |",
        ratio_of(moves, r.commits.at(move_c).rps()),
        met(moves >= 800.0)
    );
    let _ = writeln!(
        o,
        "| note search p50 < 10 ms at {} notes, 1 connection | {} ms | {} |",
        s.notes,
        ms(search_p50),
        met(search_p50 < 10_000)
    );
    let _ = writeln!(
        o,
        "| RSS < 30 MB idle (after seeding) | {} (fresh: {}) | {} |",
        mib(seeded.rss),
        mib(fresh.rss),
        met(seeded.rss * 1024 < 30_000_000)
    );
    let _ = writeln!(
        o,
        "| RSS < 150 MB at peak (high-water mark of the whole run) | {} | {} |",
        mib(end.peak),
        met(end.peak * 1024 < 150_000_000)
    );
    let _ = writeln!(
        o,
        "| read p99 during a sign-in storm ≤ 2 × quiet | {storm_ratio:.2} × | {} |\n",
        met(storm_ratio <= 2.0)
    );

    // Every figure.
    let _ = writeln!(o, "## Throughput and latency\n");
    let _ = writeln!(
        o,
        "Latencies are wrk's (from the client, loopback); ratio = the endpoint's requests/s over its ceiling's at the same concurrency.\n"
    );
    let _ = writeln!(
        o,
        "Three pairs took turns at each level ({} rounds each), and their rows are the round with the median ratio: the health probe and bare Axum; the 500-card board and its end-to-end ceiling; the same with gzip. Every round's ratio:\n",
        rounds_at(&r.health_rounds, 32).len()
    );
    for (name, rounds) in [("health", &r.health_rounds), ("board", &r.board_rounds), ("board, gzip", &r.gzip_rounds)] {
        let each = rounds.iter().map(|(c, all)| format!("{c} conn. {}", list(all))).collect::<Vec<_>>().join("; ");
        let _ = writeln!(o, "- {name}: {each}");
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| endpoint | conn. | req/s | p50 ms | p99 ms | errors | ceiling | ratio |\n|---|---:|---:|---:|---:|---:|---|---:|"
    );
    table(&mut o, &r.health, Some(&r.health_ceiling), "bare Axum");
    table(&mut o, &r.health_ceiling, None, "");
    table(&mut o, &r.board_small, Some(&r.board_db), "database: whole view");
    table(&mut o, &r.board_db, None, "");
    table(&mut o, &r.board_small, Some(&r.board_db_unchanged), "database: unchanged");
    table(&mut o, &r.board_db_unchanged, None, "");
    table(&mut o, &r.board_small, Some(&r.board_http_ceiling), "bare Axum + raw sqlx: unchanged");
    table(&mut o, &r.board_http_ceiling, None, "");
    table(&mut o, &r.board_small, Some(&r.board_framework), "bare Axum");
    table(&mut o, &r.board_framework, None, "");
    table(&mut o, &r.board_gzip, Some(&r.board_gzip_http_ceiling), "bare Axum + raw sqlx: unchanged, gzip");
    table(&mut o, &r.board_gzip_http_ceiling, None, "");
    table(&mut o, &r.board_large, None, "");
    table(&mut o, &r.notes, None, "");
    table(&mut o, &r.dashboard, None, "");
    table(&mut o, &r.card_create, Some(&r.commits), "database: commits");
    table(&mut o, &r.card_move, Some(&r.commits), "database: commits");
    table(&mut o, &r.commits, None, "");
    table(&mut o, &r.sign_in, None, "");
    let _ = writeln!(o);

    let _ = writeln!(o, "## Memory (server process, `/proc/<pid>/status`)\n");
    let _ = writeln!(
        o,
        "| when | VmRSS | of which anonymous (`RssAnon`) | of which files (`RssFile`: the binary's code, libraries) | VmHWM (peak so far) |\n|---|---:|---:|---:|---:|"
    );
    for (when, m) in
        [("idle after start", fresh), ("idle after seeding (and its events sealed)", seeded), ("after all load", end)]
    {
        let _ = writeln!(o, "| {when} | {} | {} | {} | {} |", mib(m.rss), mib(m.anon), mib(m.file), mib(m.peak));
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## SQL per board fetch\n");
    let _ = writeln!(
        o,
        "{:.2} statements per `GET /api/v1/boards/{{id}}` through SeaORM (the server's `db_statements_total` over 200 sequential fetches of the unchanged 500-card board, less an idle window of the same length). The first fetch reads the whole view and keeps its rendering; the others check access and the board's revision and send the kept bytes. SeaORM's counter does not see a transaction's own statements: the whole view is read in one transaction, which adds `BEGIN`, `COMMIT` and, on PostgreSQL, two `SET TRANSACTION` (isolation, read only). The database ceilings run all of them: {} statements to read the whole view, {} for an unchanged board.\n",
        r.statements, r.ceiling_statements[0], r.ceiling_statements[1]
    );

    let _ = writeln!(o, "## Sign-in storm\n");
    let _ = writeln!(o, "| | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|");
    let _ = writeln!(
        o,
        "| 500-card board, 8 connections, quiet | {:.0} | {} | {} | {} |",
        quiet.rps(),
        ms(quiet.p50_us),
        ms(quiet.p99_us),
        quiet.errors()
    );
    let _ = writeln!(
        o,
        "| the same reads during the storm | {:.0} | {} | {} | {} |",
        stormy.rps(),
        ms(stormy.p50_us),
        ms(stormy.p99_us),
        stormy.errors()
    );
    let _ = writeln!(
        o,
        "| the storm: sign-ins, 32 connections | {:.0} | {} | {} | {} |",
        logins.rps(),
        ms(logins.p50_us),
        ms(logins.p99_us),
        logins.errors()
    );
    let _ = writeln!(o, "\nRead p99 during the storm: {storm_ratio:.2} × the quiet value.");

    let a = &r.audit;
    #[allow(clippy::cast_precision_loss)]
    let events_per_second = ratio_of(a.events as f64, a.check.as_secs_f64());
    let _ = writeln!(o, "\n## Audit chain\n");
    let _ = writeln!(
        o,
        "The sealer ran through the whole run (writers never wait for it: the card create and move figures above were measured with it sealing behind them). It finished sealing the seeding's events {:.1} s after the seeding ended (idle memory is measured after that). The first check that found every event sealed began {:.1} s after the last write phase; the check of the whole chain (`GET /api/v1/audit/verify`: {} events in {} seals, every digest and hash recomputed) took {} ms ({:.0} events/s) and found it {}.",
        a.after_seeding.as_secs_f64(),
        a.caught_up.as_secs_f64(),
        a.events,
        a.seals,
        a.check.as_millis(),
        events_per_second,
        if a.intact { "intact" } else { "BROKEN" }
    );
    o
}

/// The ratios of every round at the level nearest `connections`.
fn rounds_at(rounds: &Rounds, connections: u32) -> &[f64] {
    rounds.iter().min_by_key(|(c, _)| c.abs_diff(connections)).map_or(&[], |(_, all)| all)
}

/// "the median of 3 alternated rounds: 0.78, 0.80, 0.82", at 32 connections.
fn median_of(rounds: &Rounds) -> String {
    let all = rounds_at(rounds, 32);
    format!("the median of {} alternated rounds: {}", all.len(), list(all))
}

fn list(ratios: &[f64]) -> String {
    ratios.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ")
}

fn ratio(endpoint: &Series, ceiling: &Series, connections: u32) -> f64 {
    ratio_of(endpoint.at(connections).rps(), ceiling.at(connections).rps())
}

fn ratio_of(endpoint: f64, ceiling: f64) -> f64 {
    if ceiling == 0.0 { 0.0 } else { endpoint / ceiling }
}

fn table(o: &mut String, s: &Series, ceiling: Option<&Series>, ceiling_name: &str) {
    for (c, f) in &s.levels {
        let (name, ratio) = match ceiling {
            Some(ceil) => {
                let cr = ceil.at(*c).rps();
                (ceiling_name, if cr == 0.0 { String::new() } else { format!("{:.2}", f.rps() / cr) })
            }
            None => ("", String::new()),
        };
        let _ = writeln!(
            o,
            "| {} | {c} | {:.0} | {} | {} | {} | {name} | {ratio} |",
            s.name,
            f.rps(),
            ms(f.p50_us),
            ms(f.p99_us),
            f.errors()
        );
    }
}
