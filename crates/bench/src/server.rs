//! Processes the bench starts: the server under test and the ceiling server; their memory.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Process {
    child: Child,
    pub(crate) base_url: String,
}

impl Process {
    /// Starts `program args…` with `env`, output appended to `log`, serving on `port`.
    pub(crate) fn start(
        program: &Path,
        args: &[&str],
        env: &[(String, String)],
        log: &Path,
        port: u16,
    ) -> anyhow::Result<Self> {
        // Another process on the port would answer for this one (a ceiling server left from an
        // earlier run did once, and the run measured it instead of its own).
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            bail!("127.0.0.1:{port} is taken by another process; stop it, or choose another --port");
        }
        let out = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        Ok(Self { child, base_url: format!("http://127.0.0.1:{port}") })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `GET {path}` answers 200, or fails after `limit`.
    pub(crate) async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        path: &str,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the process exited during start-up ({status}); see its log");
            }
            if let Ok(res) = http.get(format!("{}{path}", self.base_url)).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > limit {
                bail!("{}{path} did not answer 200 within {limit:?}", self.base_url);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resident memory now and at its highest so far, in KiB (`VmRSS`, `VmHWM`), and what of it
    /// is the process's own (`RssAnon`) and mapped files, mostly the binary's code (`RssFile`).
    pub(crate) fn memory(&self) -> anyhow::Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            let line =
                status.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name} in /proc status"))?;
            Ok(line.trim_start_matches(name).trim().trim_end_matches("kB").trim().parse()?)
        };
        Ok(Memory { rss: field("VmRSS:")?, peak: field("VmHWM:")?, anon: field("RssAnon:")?, file: field("RssFile:")? })
    }

    /// Stops the process: SIGTERM, then SIGKILL after five seconds.
    pub(crate) fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Memory {
    /// Resident now (`VmRSS`).
    pub(crate) rss: u64,
    /// The highest resident so far (`VmHWM`).
    pub(crate) peak: u64,
    /// Of `rss`, the process's own memory (`RssAnon`).
    pub(crate) anon: u64,
    /// Of `rss`, pages of mapped files (`RssFile`): the binary's code, libraries.
    pub(crate) file: u64,
}

/// `corkboard admin create --password-stdin` with the server's environment.
pub(crate) fn create_admin(server: &Path, env: &[(String, String)], email: &str, password: &str) -> anyhow::Result<()> {
    let mut child = Command::new(server)
        .args(["admin", "create", "--email", email, "--name", "Bench Admin", "--password-stdin"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run `corkboard admin create`")?;
    child.stdin.take().context("no stdin")?.write_all(format!("{password}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("`corkboard admin create` failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Runs a command to completion and returns its standard output, failing on a non-zero exit.
pub(crate) fn output(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program).args(args).output().with_context(|| format!("cannot run {program}"))?;
    if !out.status.success() {
        bail!("{program} {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
