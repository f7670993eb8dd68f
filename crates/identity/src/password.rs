//! argon2id with OWASP's parameters, run on a few threads of its own at a lower scheduling
//! priority, so that a sign-in storm can neither starve request handling nor exhaust memory
//! (each hash uses 19 MiB).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock, Mutex, mpsc};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::model::{Password, PasswordHash};
use crate::ports::PasswordHasher;

/// The production [`PasswordHasher`].
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
}

/// A hash or a verification, with the channel its result goes back on.
type Job = Box<dyn FnOnce() + Send>;

/// How much lower than the rest of the process the hashing threads run (a nice increment).
/// At 5 the kernel's fair scheduler gives a busy hashing thread about a quarter of a core that
/// request handling also wants (weights 335 vs 1024), and all of an idle one: a sign-in storm
/// slows sign-ins rather than every other request (decision 0034).
const HASH_NICE_INCREMENT: i32 = 5;

/// A hash of a random password, verified against when the account does not exist.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2(owasp_params()).hash_password(b"corkboard-dummy-password", &salt).ok().map(|h| h.to_string())
});

fn owasp_params() -> Params {
    // m = 19 MiB, t = 2, p = 1: OWASP's first recommended argon2id configuration.
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl Argon2Hasher {
    /// OWASP parameters, on `concurrency` hashing threads (so at most that many hashes at a
    /// time; the others wait their turn in a queue).
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub fn new(concurrency: usize) -> std::io::Result<Self> {
        Ok(Self { params: owasp_params(), jobs: start_threads(concurrency.max(1))? })
    }

    /// Cheap parameters for tests only: still argon2id on the same kind of threads, but fast.
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub fn fast_for_tests() -> std::io::Result<Self> {
        Ok(Self { params: Params::new(256, 1, 1, None).unwrap_or_default(), jobs: start_threads(2)? })
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce(Params) -> T + Send + 'static) -> anyhow::Result<T> {
        let (answer, result) = tokio::sync::oneshot::channel();
        let params = self.params.clone();
        self.jobs
            .send(Box::new(move || {
                // A caller that has gone while the job waited (a client that hung up during a
                // storm) costs no hash; one that goes during it is simply not told.
                if !answer.is_closed() {
                    let _ = answer.send(job(params));
                }
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        // A panicking job drops its sender: an error here, not a hung sign-in.
        Ok(result.await?)
    }
}

/// Starts `count` hashing threads sharing one queue; they end when the last [`Argon2Hasher`]
/// clone (the queue's last sender) is dropped.
fn start_threads(count: usize) -> std::io::Result<mpsc::Sender<Job>> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..count {
        let queue = Arc::clone(&queue);
        std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
            lower_this_threads_priority();
            loop {
                // The lock is held only while waiting for the next job, never while hashing.
                let next = queue.lock().map_err(drop).and_then(|q| q.recv().map_err(drop));
                let Ok(job) = next else { return };
                // A panic ends the job (its caller gets an error), not the thread.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
            }
        })?;
    }
    Ok(jobs)
}

/// Raises the calling thread's nice value by [`HASH_NICE_INCREMENT`] (Linux, where the nice
/// value is per thread). Best effort: where it cannot, hashing still works at normal priority.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let me = Some(rustix::thread::gettid());
        let lowered =
            getpriority_process(me).and_then(|nice| setpriority_process(me, (nice + HASH_NICE_INCREMENT).min(19)));
        if let Err(e) = lowered {
            tracing::warn!(error = %e, "could not lower the password hashing thread's priority");
        }
    }
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> anyhow::Result<PasswordHash> {
        let plain = password.expose().to_owned();
        let phc = self
            .run(move |params| {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                argon2(params).hash_password(plain.as_bytes(), &salt).map(|h| h.to_string())
            })
            .await?
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
        Ok(PasswordHash::from_phc(phc))
    }

    async fn verify(&self, password: &Password, hash: Option<PasswordHash>) -> bool {
        let plain = password.expose().to_owned();
        let known = hash.map(|h| h.as_str().to_owned());
        let outcome = self
            .run(move |params| {
                let phc = known.as_deref().or(DUMMY_HASH.as_deref());
                let Some(parsed) = phc.and_then(|p| argon2::PasswordHash::new(p).ok()) else {
                    return false;
                };
                // The stored hash carries its own parameters; verification compares in
                // constant time inside the argon2 crate.
                let ok = argon2(params).verify_password(plain.as_bytes(), &parsed).is_ok();
                ok && known.is_some()
            })
            .await;
        outcome.unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips_and_wrong_password_fails() -> anyhow::Result<()> {
        let hasher = Argon2Hasher::fast_for_tests()?;
        let pw = Password::parse("correct horse")?;
        let hash = hasher.hash(&pw).await?;
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(&pw, Some(hash.clone())).await);
        assert!(!hasher.verify(&Password::parse("wrong horse")?, Some(hash.clone())).await);
        Ok(())
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() -> anyhow::Result<()> {
        let hasher = Argon2Hasher::fast_for_tests()?;
        assert!(!hasher.verify(&Password::parse("corkboard-dummy-password")?, None).await);
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_below_the_callers_priority() -> anyhow::Result<()> {
        use rustix::process::getpriority_process;
        use rustix::thread::gettid;
        let hasher = Argon2Hasher::fast_for_tests()?;
        let ours = getpriority_process(Some(gettid()))?;
        let hashers = hasher.run(|_| getpriority_process(Some(gettid()))).await??;
        assert_eq!(hashers, (ours + HASH_NICE_INCREMENT).min(19));
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_threads_go_on() -> anyhow::Result<()> {
        let hasher = Argon2Hasher::fast_for_tests()?;
        for _ in 0..3 {
            let outcome = hasher.run(|_| -> u8 { panic!("a job that panics") }).await;
            assert!(outcome.is_err());
        }
        assert_eq!(hasher.run(|_| 7).await?, 7, "both threads survived three panics");
        Ok(())
    }

    #[tokio::test]
    async fn a_job_whose_caller_has_gone_is_skipped() -> anyhow::Result<()> {
        use std::sync::atomic::{AtomicBool, Ordering};
        // One thread, so the queue is served strictly in order.
        let hasher = Argon2Hasher { params: owasp_params(), jobs: start_threads(1)? };
        let (open_gate, gate) = mpsc::channel::<()>();
        // The one thread waits at a gate.
        assert!(hasher.jobs.send(Box::new(move || gate.recv().unwrap_or_default())).is_ok());
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = hasher.run({
            let ran = Arc::clone(&ran);
            move |_| ran.store(true, Ordering::SeqCst)
        });
        // Queued behind the busy job, then given up by its caller.
        assert!(tokio::time::timeout(std::time::Duration::from_millis(50), abandoned).await.is_err());
        open_gate.send(())?;
        assert_eq!(hasher.run(|_| 7).await?, 7, "the job queued after it ran");
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job was skipped");
        Ok(())
    }

    #[test]
    fn production_parameters_are_owasp() {
        let p = owasp_params();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
    }
}
