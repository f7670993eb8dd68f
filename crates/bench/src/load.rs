//! Load from a second process: `wrk` on loopback, with `load.lua` turning a plan file into
//! requests and printing the figures as one JSON line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// One wrk run's figures (latencies in microseconds).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct Figures {
    pub(crate) requests: u64,
    pub(crate) duration_us: u64,
    pub(crate) connect: u64,
    pub(crate) read: u64,
    pub(crate) write: u64,
    pub(crate) status: u64,
    pub(crate) timeout: u64,
    pub(crate) p50_us: u64,
    pub(crate) p99_us: u64,
}

impl Figures {
    /// Requests per second.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn rps(&self) -> f64 {
        if self.duration_us == 0 { 0.0 } else { self.requests as f64 * 1e6 / self.duration_us as f64 }
    }

    /// Failed requests: socket errors, timeouts and non-2xx/3xx answers.
    pub(crate) fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }
}

/// What to send.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) method: &'static str,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) paths: Vec<String>,
    pub(crate) bodies: Vec<String>,
    /// Card moves: `(card id, index of its current column)` and the board's columns in order.
    pub(crate) moves: Vec<(String, usize)>,
    pub(crate) columns: Vec<String>,
}

impl Plan {
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self { method: "GET", paths: vec![path.into()], ..Self::default() }
    }

    pub(crate) fn bearer(mut self, token: &str) -> Self {
        self.headers.push(("Authorization".into(), format!("Bearer {token}")));
        self
    }

    pub(crate) fn json(mut self) -> Self {
        self.headers.push(("Content-Type".into(), "application/json".into()));
        self
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "method {}", self.method);
        for (name, value) in &self.headers {
            let _ = writeln!(out, "header {name}: {value}");
        }
        for path in &self.paths {
            let _ = writeln!(out, "path {path}");
        }
        for body in &self.bodies {
            let _ = writeln!(out, "body {body}");
        }
        for column in &self.columns {
            let _ = writeln!(out, "column {column}");
        }
        for (card, column) in &self.moves {
            let _ = writeln!(out, "move {card} {column}");
        }
        out
    }
}

/// Runs wrk against `base_url` with `connections` for `seconds`.
pub(crate) struct Wrk {
    dir: PathBuf,
}

impl Wrk {
    /// Writes the lua script into `dir` and checks that wrk is there.
    pub(crate) fn new(dir: &Path) -> anyhow::Result<Self> {
        let version =
            Command::new("wrk").arg("-v").output().context("wrk is not installed (`just bench` installs it)")?;
        let _ = version;
        std::fs::write(dir.join("load.lua"), include_str!("load.lua"))?;
        Ok(Self { dir: dir.to_owned() })
    }

    /// Starts a run in the background; `finish` waits for its figures.
    pub(crate) fn start(&self, base_url: &str, plan: &Plan, connections: u32, seconds: u64) -> anyhow::Result<Running> {
        let threads = connections.clamp(1, 2);
        let plan_file = self.dir.join(format!("plan-{}.txt", uuid::Uuid::new_v4()));
        std::fs::write(&plan_file, plan.render())?;
        let child = Command::new("wrk")
            .arg(format!("-t{threads}"))
            .arg(format!("-c{connections}"))
            .arg(format!("-d{seconds}s"))
            .arg("--timeout")
            .arg("30s")
            .arg("-s")
            .arg(self.dir.join("load.lua"))
            .arg(base_url)
            .arg("--")
            .arg(&plan_file)
            .arg(threads.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .context("cannot start wrk")?;
        Ok(Running { child, plan_file })
    }

    /// One run, waited for.
    pub(crate) fn run(&self, base_url: &str, plan: &Plan, connections: u32, seconds: u64) -> anyhow::Result<Figures> {
        self.start(base_url, plan, connections, seconds)?.finish()
    }
}

/// A wrk run in progress.
pub(crate) struct Running {
    child: std::process::Child,
    plan_file: PathBuf,
}

impl Running {
    pub(crate) fn finish(self) -> anyhow::Result<Figures> {
        let out = self.child.wait_with_output()?;
        let _ = std::fs::remove_file(&self.plan_file);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("BENCH_JSON ")) else {
            bail!("wrk printed no figures: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        };
        Ok(serde_json::from_str(line)?)
    }
}
