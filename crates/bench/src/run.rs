//! `corkboard-bench run`: the whole benchmark, in order.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use uuid::Uuid;

use crate::api::{self, Api, Seeded, Sizes};
use crate::db_ceiling::{self, Fetch, Fetcher};
use crate::load::{Plan, Wrk};
use crate::report::{self, AuditChain, Results, Rounds, Series};
use crate::server::{self, Process};
use crate::{Backend, RunArgs};

/// The data set of the issue: 100 users, boards of 500 and 10,000 cards, 5,000 notes, 10,000
/// reminders.
const SIZES: Sizes =
    Sizes { users: 100, small_board_cards: 500, large_board_cards: 10_000, notes: 5_000, reminders: 10_000 };
/// The admin the bench signs in as.
const ADMIN: &str = "bench-admin@bench.example";
/// The connections the server reads through: on PostgreSQL its pool (by default four per CPU, 4
/// to 32: crates/app/src/config.rs, or the `CORKBOARD_DATABASE__MAX_CONNECTIONS` given with
/// `--server-env`); on SQLite its reading connections, at most four of those
/// (`SQLITE_READERS`, crates/adapter-sea-orm/src/db.rs). The database ceilings read through a
/// pool of the same size.
fn server_pool(backend: Backend, server_env: &[String]) -> u32 {
    const SQLITE_READERS: u32 = 4;
    let pool = server_env
        .iter()
        .find_map(|s| s.strip_prefix("CORKBOARD_DATABASE__MAX_CONNECTIONS="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(16, |n| u32::try_from(n.get().saturating_mul(4)).unwrap_or(32).clamp(4, 32))
        });
    match backend {
        Backend::Postgres => pool,
        Backend::Sqlite => pool.clamp(1, SQLITE_READERS),
    }
}
/// Read load during the sign-in storm, and the storm itself.
const STORM_READERS: u32 = 8;
const STORM_SIGN_INS: u32 = 32;

#[expect(clippy::too_many_lines, reason = "the run, step by step, reads best in one place")]
pub(crate) async fn run(args: RunArgs) -> anyhow::Result<()> {
    let load_before = load_average();
    // The checkout as the run starts, as the binaries were built: a change made while it runs
    // is not what it measures.
    let (commit, dirty) = checkout();
    let run_id = Uuid::new_v4().simple().to_string();
    let dir = std::env::temp_dir().join(format!("corkboard-bench-{}", &run_id[..8]));
    std::fs::create_dir_all(&dir)?;
    LazyStart::touch();

    let (env, db_url) = environment(&args, &dir, &run_id).await?;
    say(&format!("backend {}, work files in {}", args.backend.name(), dir.display()));
    server::create_admin(&args.server, &env, ADMIN, api::PASSWORD).context("creating the bench administrator")?;

    let http = reqwest::Client::new();
    let mut app = Process::start(&args.server, &["serve"], &env, &dir.join("server.log"), args.port)?;
    app.wait_ready(&http, "/health/ready", Duration::from_mins(1)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mem_fresh = app.memory()?;
    say(&format!("server up (pid {}), idle RSS {} KiB", app.pid(), mem_fresh.rss));

    let api = Api::sign_in(&app.base_url, ADMIN, api::PASSWORD).await?;
    let seeded = api.seed(SIZES).await.context("seeding")?;
    say(&format!("seeded in {:.1} s", seeded.seconds));
    // Idle means no work pending: the sealer seals the seeding's events first.
    let sealed_after_seeding = sealing_settled(&http, &app.base_url).await?;
    say(&format!("the seeding's audit events sealed {:.1} s after it ended", sealed_after_seeding.as_secs_f64()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mem_seeded = app.memory()?;

    // The exact bytes the ceiling server will answer with.
    let small_path = format!("/api/v1/boards/{}", seeded.small_board);
    let large_path = format!("/api/v1/boards/{}", seeded.large_board);
    let health_bytes = api.get_bytes("/health/live").await?;
    let board_bytes = api.get_bytes(&small_path).await?;
    let board_gzip_bytes = api.get_gzip(&small_path).await?;
    let large_bytes = api.get_bytes(&large_path).await?.len();
    let bodies = [("health.json", &health_bytes), ("board.json", &board_bytes), ("board.json.gz", &board_gzip_bytes)];
    for (name, bytes) in bodies {
        std::fs::write(dir.join(name), bytes)?;
    }
    let pool_size = server_pool(args.backend, &args.server_env);
    let ceiling_port = args.port + 1;
    let mut ceiling = Process::start(
        &std::env::current_exe()?,
        &[
            "ceiling-server",
            "--listen",
            &format!("127.0.0.1:{ceiling_port}"),
            "--health",
            &path_str(&dir.join("health.json"))?,
            "--board",
            &path_str(&dir.join("board.json"))?,
            "--board-gzip",
            &path_str(&dir.join("board.json.gz"))?,
            "--database-url",
            &db_url,
            "--pool",
            &pool_size.to_string(),
            "--board-id",
            &seeded.small_board,
            "--token-id",
            &api.token_id,
        ],
        &[],
        &dir.join("ceiling.log"),
        ceiling_port,
    )?;
    ceiling.wait_ready(&http, "/health/live", Duration::from_secs(10)).await?;

    let statements = statements_per_fetch(&http, &app.base_url, &api, &small_path).await?;
    say(&format!("{statements:.2} SQL statements per board fetch"));

    let wrk = Wrk::new(&dir)?;
    let d = args.duration;
    let levels = &args.levels;
    let bearer = |p: Plan| p.bearer(&api.token);
    let series = |name: &str, base: &str, plan: &Plan| -> anyhow::Result<Series> {
        let mut out = Series::named(name);
        for &c in levels {
            let f = wrk.run(base, plan, c, d)?;
            say(&format!(
                "{name} c={c}: {:.0} req/s, p50 {} µs, p99 {} µs, {} errors",
                f.rps(),
                f.p50_us,
                f.p99_us,
                f.errors()
            ));
            out.levels.push((c, f));
        }
        Ok(out)
    };

    // Reads first, so the boards have their seeded shape.
    let turns = Turns { wrk: &wrk, levels, duration: d, rounds: args.rounds };
    let probe = Plan::get("/health/live");
    let (health, health_ceiling, health_rounds) =
        turns.run(("GET /health/live", &app.base_url, &probe), ("bare Axum: same bytes", &ceiling.base_url, &probe))?;
    let (board_small, board_http_ceiling, board_rounds) = turns.run(
        ("GET board (500 cards)", &app.base_url, &bearer(Plan::get(&small_path))),
        ("bare Axum + raw sqlx: unchanged board", &ceiling.base_url, &bearer(Plan::get("/board/unchanged"))),
    )?;
    let board_framework = series("bare Axum: same bytes", &ceiling.base_url, &Plan::get("/board"))?;
    let gzip = |path: &str| {
        let mut plan = bearer(Plan::get(path));
        plan.headers.push(("Accept-Encoding".into(), "gzip".into()));
        plan
    };
    let (board_gzip, board_gzip_http_ceiling, gzip_rounds) = turns.run(
        ("GET board (500 cards), gzip", &app.base_url, &gzip(&small_path)),
        ("bare Axum + raw sqlx: unchanged board, gzip", &ceiling.base_url, &gzip("/board/unchanged/gzip")),
    )?;
    ceiling.stop();

    let fetcher = Fetcher::connect(&db_url, pool_size, seeded.small_board.parse()?, api.token_id.parse()?).await?;
    let pool = fetcher.pool();
    let ceiling_statements =
        [Fetch::WholeView, Fetch::Unchanged].map(|what| db_ceiling::statements_per_fetch(pool, what));
    let mut board_db = Series::named("database ceiling: whole view (raw sqlx)");
    let mut board_db_unchanged = Series::named("database ceiling: unchanged board (raw sqlx)");
    for (what, series) in [(Fetch::WholeView, &mut board_db), (Fetch::Unchanged, &mut board_db_unchanged)] {
        for &c in levels {
            let f = db_ceiling::measure(&fetcher, what, c, d).await?;
            say(&format!(
                "db ceiling {what:?} c={c}: {:.0} fetches/s, p50 {} µs, p99 {} µs",
                f.rps(),
                f.p50_us,
                f.p99_us
            ));
            series.levels.push((c, f));
        }
    }
    let mut commits = Series::named("database ceiling: one row per transaction (raw sqlx)");
    for &c in levels {
        let f = db_ceiling::measure_commits(pool, c, d).await?;
        say(&format!("commit ceiling c={c}: {:.0} commits/s, p50 {} µs, p99 {} µs", f.rps(), f.p50_us, f.p99_us));
        commits.levels.push((c, f));
    }
    drop(fetcher);

    let board_large = series("GET board (10,000 cards)", &app.base_url, &bearer(Plan::get(&large_path)))?;
    let notes_paths = (0..api::TOPICS).map(|t| format!("/api/v1/notes?q=topic{t:02}")).collect();
    let notes = series("GET /api/v1/notes?q=…", &app.base_url, &bearer(Plan { paths: notes_paths, ..Plan::get("") }))?;
    // Nothing changes while it runs: after the first request, the kept dashboard and its stamp.
    let dashboard = series("GET /api/v1/dashboard (kept)", &app.base_url, &bearer(Plan::get("/api/v1/dashboard")))?;

    let create = Plan {
        method: "POST",
        paths: vec![format!("/api/v1/boards/{}/cards", seeded.write_board)],
        bodies: seeded
            .write_columns
            .iter()
            .map(|c| format!(r#"{{"title":"Card from the load generator","column_id":"{c}"}}"#))
            .collect(),
        ..Plan::default()
    };
    let card_create = series("POST card", &app.base_url, &bearer(create).json())?;
    let mut card_move = Series::named("POST card move");
    for &c in levels {
        let plan = bearer(move_plan(&api, &seeded).await?).json();
        let f = wrk.run(&app.base_url, &plan, c, d)?;
        say(&format!(
            "move c={c}: {:.0} req/s, p50 {} µs, p99 {} µs, {} errors",
            f.rps(),
            f.p50_us,
            f.p99_us,
            f.errors()
        ));
        card_move.levels.push((c, f));
    }
    let login = sign_in_plan(&seeded);
    let sign_in = series("POST /api/v1/auth/login", &app.base_url, &login)?;

    // The storm: board reads alone, then the same reads while sign-ins hammer the hasher.
    let reads = bearer(Plan::get(&small_path));
    let storm_quiet = wrk.run(&app.base_url, &reads, STORM_READERS, d)?;
    let storm = wrk.start(&app.base_url, &login, STORM_SIGN_INS, d + 2)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let storm_reads = wrk.run(&app.base_url, &reads, STORM_READERS, d)?;
    let storm_logins = storm.finish()?;
    say(&format!(
        "storm: read p99 {} µs quiet, {} µs during {:.0} sign-ins/s",
        storm_quiet.p99_us,
        storm_reads.p99_us,
        storm_logins.rps()
    ));

    let audit = audit_chain(&api, sealed_after_seeding).await.context("the audit chain")?;
    say(&format!(
        "audit chain: {} events in {} seals, intact {}, sealed {:.1} s after the last write, checked in {} ms",
        audit.events,
        audit.seals,
        audit.intact,
        audit.caught_up.as_secs_f64(),
        audit.check.as_millis()
    ));

    let mem_end = app.memory()?;
    app.stop();
    let results = Results {
        backend: args.backend,
        label: args.label.clone(),
        commit,
        dirty,
        load_before,
        load_after: load_average(),
        cpu: cpu_model(),
        duration: d,
        server_env: args.server_env.clone(),
        pool: pool_size,
        sizes: SIZES,
        seed_seconds: seeded.seconds,
        board_bytes: board_bytes.len(),
        board_gzip_bytes: board_gzip_bytes.len(),
        large_bytes,
        memory: [mem_fresh, mem_seeded, mem_end],
        statements,
        ceiling_statements,
        health,
        health_ceiling,
        health_rounds,
        board_rounds,
        gzip_rounds,
        board_small,
        board_framework,
        board_http_ceiling,
        board_gzip,
        board_gzip_http_ceiling,
        board_db,
        board_db_unchanged,
        board_large,
        notes,
        dashboard,
        card_create,
        card_move,
        commits,
        sign_in,
        storm: [storm_quiet, storm_reads, storm_logins],
        audit,
    };
    let markdown = report::render(&results);
    std::fs::create_dir_all(&args.out_dir)?;
    let name = format!(
        "{}-{}{}.md",
        chrono::Local::now().format("%Y-%m-%d"),
        args.backend.name(),
        args.label.as_deref().map(|l| format!("-{l}")).unwrap_or_default()
    );
    let path = args.out_dir.join(name);
    std::fs::write(&path, &markdown)?;
    println!("{markdown}");
    say(&format!("report written to {}", path.display()));
    if args.backend == Backend::Postgres {
        let _ = drop_database(&args.pg_admin_url, &args.pg_database).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

/// A progress line, with the time since the run started.
fn say(what: &str) {
    eprintln!("[bench {:>6.1}s] {what}", START.elapsed().as_secs_f64());
}

/// An endpoint and its ceiling taking turns, `rounds` times at each level. The health probe and
/// the unchanged board are so cheap next to their ceilings' cost that a moment of other work on
/// the machine (a checkpoint, the host's other tenants) moves their ratio more than the server's
/// own cost, and two blocks measured a minute apart do not share such moments.
struct Turns<'a> {
    wrk: &'a Wrk,
    levels: &'a [u32],
    duration: u64,
    rounds: u32,
}

impl Turns<'_> {
    /// Each side's series, holding the round with the median ratio at each level, and every
    /// round's ratio at each level.
    fn run(&self, ours: (&str, &str, &Plan), ceiling: (&str, &str, &Plan)) -> anyhow::Result<(Series, Series, Rounds)> {
        let (mut endpoint, mut bound, mut all) = (Series::named(ours.0), Series::named(ceiling.0), Vec::new());
        for &c in self.levels {
            let mut rounds = Vec::new();
            for _ in 0..self.rounds.max(1) {
                let a = self.wrk.run(ours.1, ours.2, c, self.duration)?;
                let b = self.wrk.run(ceiling.1, ceiling.2, c, self.duration)?;
                say(&format!(
                    "{} c={c}: {:.0} req/s, {} {:.0} req/s, ratio {:.3}, {} errors",
                    ours.0,
                    a.rps(),
                    ceiling.0,
                    b.rps(),
                    a.rps() / b.rps(),
                    a.errors() + b.errors()
                ));
                rounds.push((a, b));
            }
            rounds.sort_by(|x, y| (x.0.rps() / x.1.rps()).total_cmp(&(y.0.rps() / y.1.rps())));
            let (a, b) = rounds[(rounds.len() - 1) / 2];
            endpoint.levels.push((c, a));
            bound.levels.push((c, b));
            all.push((c, rounds.iter().map(|(a, b)| a.rps() / b.rps()).collect()));
        }
        Ok((endpoint, bound, all))
    }
}

/// Starts the clock of the progress lines.
struct LazyStart;
impl LazyStart {
    fn touch() {
        let _ = *START;
    }
}

/// The server's environment, and the database URL the ceiling connects to.
async fn environment(args: &RunArgs, dir: &Path, run_id: &str) -> anyhow::Result<(Vec<(String, String)>, String)> {
    let mut env = vec![("CORKBOARD_LISTEN".to_owned(), format!("127.0.0.1:{}", args.port))];
    // Every request is counted by the rate limits, as in production, but the load comes from
    // one address and a few users: quotas out of its reach, so the cost is measured and no
    // request is refused (decision 0050).
    for quota in ["PER_CALLER", "PER_IP", "SIGN_IN_PER_IP"] {
        env.push((format!("CORKBOARD_RATE_LIMITS__{quota}"), "1000000000".into()));
    }
    let db_url = match args.backend {
        Backend::Postgres => {
            let url = recreate_database(&args.pg_admin_url, &args.pg_database).await?;
            env.push(("CORKBOARD_DATABASE_URL".into(), url.clone()));
            env.push(("CORKBOARD_REDIS_URL".into(), args.redis_url.clone()));
            env.push(("CORKBOARD_REDIS_KEY_PREFIX".into(), format!("corkboard-bench-{}:", &run_id[..8])));
            // The sign-in load leaves thousands of sessions in a shared Redis: let them expire
            // a quarter of an hour after the run instead of the default twelve hours.
            env.push(("CORKBOARD_AUTH__SESSION_IDLE_MINUTES".into(), "15".into()));
            url
        }
        Backend::Sqlite => {
            // The embedded default: no database URL, the file under the data directory.
            let data = dir.join("data");
            env.push(("CORKBOARD_DATA_DIR".into(), path_str(&data)?));
            format!("sqlite://{}/corkboard.db?mode=rw", path_str(&data)?)
        }
    };
    for setting in &args.server_env {
        let (k, v) = setting.split_once('=').with_context(|| format!("--server-env {setting}: expected NAME=value"))?;
        env.push((k.to_owned(), v.to_owned()));
    }
    Ok((env, db_url))
}

/// The commit checked out, and whether `crates/` has uncommitted changes.
fn checkout() -> (String, bool) {
    let commit = server::output("git", &["rev-parse", "--short", "HEAD"]).map(|s| s.trim().to_owned());
    let status = server::output("git", &["status", "--porcelain", "--untracked-files=no", "crates"]);
    (commit.unwrap_or_default(), status.is_ok_and(|s| !s.trim().is_empty()))
}

/// The audit chain after the last write: how long until a check found every event sealed (the
/// time to the start of that check), and how long that check of the whole chain took.
async fn audit_chain(api: &Api, after_seeding: Duration) -> anyhow::Result<AuditChain> {
    let since_last_write = Instant::now();
    loop {
        let started = Instant::now();
        let report: serde_json::Value = serde_json::from_slice(&api.get_bytes("/api/v1/audit/verify").await?)?;
        let check = started.elapsed();
        if report["unsealed_events"] == 0 {
            return Ok(AuditChain {
                events: report["sealed_events"].as_u64().context("sealed_events")?,
                seals: report["seals"].as_u64().context("seals")?,
                intact: report["intact"] == true,
                caught_up: started.duration_since(since_last_write),
                after_seeding,
                check,
            });
        }
        if since_last_write.elapsed() > Duration::from_mins(2) {
            bail!("{} events still unsealed two minutes after the last write", report["unsealed_events"]);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn recreate_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("database name {name:?}: letters, digits and _ only");
    }
    drop_database(admin_url, name).await?;
    let pool = sqlx::PgPool::connect(admin_url).await.context("cannot connect to PostgreSQL")?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(admin_url).await.context("cannot connect to PostgreSQL")?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await?;
    Ok(())
}

/// Statements the server ran per board fetch: its `db_statements_total` counter across 200
/// sequential fetches, less what it ran in an idle window of the same length (the reminder
/// worker's polling).
async fn statements_per_fetch(http: &reqwest::Client, base: &str, api: &Api, path: &str) -> anyhow::Result<f64> {
    const FETCHES: u32 = 200;
    let before = counter(http, base).await?;
    let started = Instant::now();
    for _ in 0..FETCHES {
        api.get_bytes(path).await?;
    }
    let busy = started.elapsed();
    let after = counter(http, base).await?;
    tokio::time::sleep(busy).await;
    let idle = counter(http, base).await? - after;
    Ok((after - before - idle).max(0.0) / f64::from(FETCHES))
}

async fn counter(http: &reqwest::Client, base: &str) -> anyhow::Result<f64> {
    metric(http, base, "db_statements_total").await?.context("the server has no db_statements_total metric")
}

/// The value of the unlabelled metric `name` at `/metrics`, if the server has it yet.
async fn metric(http: &reqwest::Client, base: &str, name: &str) -> anyhow::Result<Option<f64>> {
    let text = http.get(format!("{base}/metrics")).send().await?.text().await?;
    let line = text.lines().find(|l| l.split(' ').next() == Some(name));
    line.map(|l| Ok(l.rsplit(' ').next().unwrap_or("0").parse()?)).transpose()
}

/// Waits until the audit sealer has caught up with a burst of writes: its
/// `audit_events_sealed_total` unchanged for two seconds (it ticks every second); the time
/// from the call until the last change.
async fn sealing_settled(http: &reqwest::Client, base: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (mut last, mut changed) = (metric(http, base, "audit_events_sealed_total").await?, started);
    while changed.elapsed() < Duration::from_secs(2) {
        if started.elapsed() > Duration::from_mins(2) {
            bail!("the audit sealer was still sealing two minutes after seeding");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = metric(http, base, "audit_events_sealed_total").await?;
        if now != last {
            (last, changed) = (now, Instant::now());
        }
    }
    Ok(changed.duration_since(started))
}

/// Moves for the 500-card board from its current state: each card to the next column.
async fn move_plan(api: &Api, seeded: &Seeded) -> anyhow::Result<Plan> {
    let view = api
        .call(reqwest::Method::GET, &format!("/api/v1/boards/{}", seeded.small_board), None, reqwest::StatusCode::OK)
        .await?;
    let columns = view["columns"].as_array().context("no columns in the board view")?;
    let mut plan = Plan { method: "POST", ..Plan::default() };
    for (i, column) in columns.iter().enumerate() {
        plan.columns.push(column["id"].as_str().context("column id")?.to_owned());
        for card in column["cards"].as_array().context("no cards in a column")? {
            plan.moves.push((card["id"].as_str().context("card id")?.to_owned(), i));
        }
    }
    // Interleave columns so consecutive requests touch different columns.
    plan.moves.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(plan)
}

fn sign_in_plan(seeded: &Seeded) -> Plan {
    let bodies =
        seeded.user_emails.iter().map(|e| format!(r#"{{"email":"{e}","password":"{}"}}"#, api::PASSWORD)).collect();
    Plan { method: "POST", paths: vec!["/api/v1/auth/login".into()], bodies, ..Plan::default() }.json()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn cpu_model() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{cores} × {model}")
}

fn path_str(p: &Path) -> anyhow::Result<String> {
    p.to_str().map(str::to_owned).context("a non-UTF-8 path")
}
