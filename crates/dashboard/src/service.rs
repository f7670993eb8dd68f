//! Reading a dashboard: from the cache while its stamp is current, otherwise read afresh
//! through the sources, once per user at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures::lock::{Mutex as AsyncMutex, OwnedMutexGuard};
use kernel::{Caller, Clock, UserId};
use rand::Rng as _;

use crate::error::DashboardError;
use crate::model::{Dashboard, Rendered};
use crate::ports::{DashboardCache, Limits, Sources, Stamps};

/// How far ahead "due soon" looks.
pub const DUE_WITHIN_DAYS: i64 = 7;

/// How many items of each kind a dashboard lists.
pub const LIMITS: Limits = Limits {
    recent_boards: 5,
    columns: 20,
    cards_per_column: 5,
    due_cards: 10,
    reminders: 5,
    notes: 5,
    notifications: 5,
    activity: 10,
};

/// How long a dashboard is kept unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_mins(1);

/// Dashboards, kept per user.
///
/// A kept dashboard is served while the user's [`crate::Stamp`] is the one it was read at:
/// every change a dashboard shows advances the stamp of the users it concerns in the change's
/// own transaction, so a dashboard is never served stale after a change that concerns the
/// user has committed (the caller's own changes included), whichever instance made it. What
/// the stamp cannot see (time passing, which moves cards into "overdue", and changes by
/// others outside the user's boards) is bounded by the time to live, lengthened by a random
/// fifth so that entries kept together do not all expire together.
///
/// Concurrent requests of one user that find no current entry wait for one of them to read
/// it (per instance), so a burst of requests reads the sources once.
pub struct DashboardService {
    stamps: Arc<dyn Stamps>,
    sources: Arc<dyn Sources>,
    cache: Arc<dyn DashboardCache>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    flights: Arc<Mutex<Flights>>,
}

type Flights = HashMap<UserId, Arc<AsyncMutex<()>>>;

impl DashboardService {
    /// A service reading through `sources`, keeping dashboards in `cache` for [`DEFAULT_TTL`].
    pub fn new(
        stamps: Arc<dyn Stamps>,
        sources: Arc<dyn Sources>,
        cache: Arc<dyn DashboardCache>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { stamps, sources, cache, clock, ttl: DEFAULT_TTL, flights: Arc::default() }
    }

    /// Keeps dashboards for `ttl` (plus up to a fifth more).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The caller's dashboard as `render` renders it: the kept rendering while it is current,
    /// otherwise read afresh, rendered and kept. A cache that fails is logged and read around.
    ///
    /// # Errors
    /// [`DashboardError`] when the stamp or a source cannot be read.
    #[tracing::instrument(target = "dashboard::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn read<F>(&self, caller: &Caller, render: F) -> Result<Rendered, DashboardError>
    where
        F: FnOnce(&Dashboard) -> Bytes + Send,
    {
        let user = caller.user_id;
        // The stamp is read before the sources: a change committed in between gives the kept
        // entry newer content under an older stamp, which the next read replaces.
        let stamp = self.stamps.stamp(user).await?;
        if let Some(kept) = self.kept(user, stamp).await {
            return Ok(kept);
        }
        let _turn = Flight::wait_for_turn(&self.flights, user).await;
        // Whoever flew before us may have kept it.
        if let Some(kept) = self.kept(user, stamp).await {
            return Ok(kept);
        }
        let dashboard = self.compute(caller).await?;
        let rendered = Rendered::new(stamp, render(&dashboard));
        if let Err(e) = self.cache.put(user, &rendered, self.jittered_ttl()).await {
            tracing::warn!(error = %e, "the dashboard cache did not keep a dashboard");
        }
        Ok(rendered)
    }

    /// The caller's dashboard read afresh, uncached.
    ///
    /// # Errors
    /// [`DashboardError`] when a source cannot be read.
    pub async fn compute(&self, caller: &Caller) -> Result<Dashboard, DashboardError> {
        let now = self.clock.now();
        let due_until = now + chrono::Duration::days(DUE_WITHIN_DAYS);
        let s = &self.sources;
        let (boards, reminders, (pinned_notes, recent_notes), notifications, activity) = futures::try_join!(
            s.boards(caller, now, due_until, LIMITS),
            s.reminders(caller, LIMITS.reminders),
            s.notes(caller, LIMITS.notes),
            s.notifications(caller, LIMITS.notifications),
            s.activity(caller, LIMITS.activity),
        )?;
        Ok(Dashboard {
            generated_at: now,
            boards: boards.summary,
            my_cards: boards.my_cards,
            overdue: boards.overdue,
            due_soon: boards.due_soon,
            reminders,
            pinned_notes,
            recent_notes,
            notifications,
            activity,
        })
    }

    /// The kept rendering, if it was read at `stamp`.
    async fn kept(&self, user: UserId, stamp: crate::Stamp) -> Option<Rendered> {
        match self.cache.get(user).await {
            Ok(kept) => kept.filter(|k| k.stamp == stamp),
            Err(e) => {
                tracing::warn!(error = %e, "the dashboard cache could not be read");
                None
            }
        }
    }

    /// The time to live, plus up to a fifth of it at random.
    fn jittered_ttl(&self) -> Duration {
        let fifth = u64::try_from(self.ttl.as_millis() / 5).unwrap_or(u64::MAX);
        self.ttl + Duration::from_millis(rand::thread_rng().gen_range(0..=fifth))
    }
}

impl std::fmt::Debug for DashboardService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardService").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// A user's turn to read their dashboard afresh: one at a time per user. Dropping it (also
/// when the request is abandoned) lets the next one in and forgets the user once nobody waits.
struct Flight {
    flights: Arc<Mutex<Flights>>,
    user: UserId,
    turn: Option<OwnedMutexGuard<()>>,
}

impl Flight {
    /// Waits for the user's turn.
    async fn wait_for_turn(flights: &Arc<Mutex<Flights>>, user: UserId) -> Self {
        let gate = Arc::clone(flights.lock().unwrap_or_else(PoisonError::into_inner).entry(user).or_default());
        // Registered before waiting, so a drop while waiting still forgets an unused gate.
        let mut flight = Self { flights: Arc::clone(flights), user, turn: None };
        flight.turn = Some(gate.lock_owned().await);
        flight
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        drop(self.turn.take());
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the map still holds the gate: nobody is flying or waiting.
        if flights.get(&self.user).is_some_and(|gate| Arc::strong_count(gate) == 1) {
            flights.remove(&self.user);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::{DateTime, TimeZone as _, Utc};
    use kernel::{ManualClock, RepoError};

    use super::*;
    use crate::model::{BoardSummary, Stamp};
    use crate::ports::{BoardsPart, MockDashboardCache, MockStamps};
    use crate::{Activity, NoteBrief, NotificationSummary, ReminderBrief};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
    }

    fn caller() -> Caller {
        Caller::user(UserId::from_uuid(uuid::Uuid::from_u128(7)), false)
    }

    fn stamp(personal: u64) -> Stamp {
        Stamp { boards: 2, board_revisions: 40, personal }
    }

    /// Sources that count their reads and answer a board count of "reads so far" (after a
    /// pause, so that concurrent reads overlap).
    #[derive(Default)]
    struct CountingSources {
        reads: AtomicUsize,
        seen: Mutex<Vec<(DateTime<Utc>, DateTime<Utc>)>>,
    }

    #[async_trait::async_trait]
    impl Sources for CountingSources {
        async fn boards(
            &self,
            _: &Caller,
            now: DateTime<Utc>,
            due_until: DateTime<Utc>,
            _: Limits,
        ) -> Result<BoardsPart, RepoError> {
            let n = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
            self.seen.lock().unwrap().push((now, due_until));
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(BoardsPart { summary: BoardSummary { count: n as u64, recent: Vec::new() }, ..BoardsPart::default() })
        }
        async fn reminders(&self, _: &Caller, _: u32) -> Result<Vec<ReminderBrief>, RepoError> {
            Ok(Vec::new())
        }
        async fn notes(&self, _: &Caller, _: u32) -> Result<(Vec<NoteBrief>, Vec<NoteBrief>), RepoError> {
            Ok((Vec::new(), Vec::new()))
        }
        async fn notifications(&self, _: &Caller, _: u32) -> Result<NotificationSummary, RepoError> {
            Ok(NotificationSummary { unread: 3, latest: Vec::new() })
        }
        async fn activity(&self, _: &Caller, _: u32) -> Result<Vec<Activity>, RepoError> {
            Ok(Vec::new())
        }
    }

    /// A cache in a map that remembers the time to live it was given.
    #[derive(Default)]
    struct MapCache {
        kept: Mutex<HashMap<UserId, (Rendered, Duration)>>,
    }

    #[async_trait::async_trait]
    impl DashboardCache for MapCache {
        async fn get(&self, user: UserId) -> Result<Option<Rendered>, RepoError> {
            Ok(self.kept.lock().unwrap().get(&user).map(|(r, _)| r.clone()))
        }
        async fn put(&self, user: UserId, rendered: &Rendered, ttl: Duration) -> Result<(), RepoError> {
            self.kept.lock().unwrap().insert(user, (rendered.clone(), ttl));
            Ok(())
        }
    }

    fn stamps_at(personal: impl Fn() -> u64 + Send + Sync + 'static) -> Arc<MockStamps> {
        let mut stamps = MockStamps::new();
        stamps.expect_stamp().returning(move |_| Ok(stamp(personal())));
        Arc::new(stamps)
    }

    /// Renders the board count, so a test can tell which read a rendering came from.
    fn render(d: &Dashboard) -> Bytes {
        Bytes::from(format!("boards={} unread={}", d.boards.count, d.notifications.unread))
    }

    fn service(stamps: Arc<dyn Stamps>, sources: Arc<dyn Sources>, cache: Arc<dyn DashboardCache>) -> DashboardService {
        DashboardService::new(stamps, sources, cache, Arc::new(ManualClock::new(t0())))
    }

    #[tokio::test]
    async fn a_current_entry_is_served_without_reading_the_sources() {
        let sources = Arc::new(CountingSources::default());
        let cache = Arc::new(MapCache::default());
        let svc = service(stamps_at(|| 1), sources.clone(), cache.clone());
        let first = svc.read(&caller(), render).await.unwrap();
        let second = svc.read(&caller(), render).await.unwrap();
        assert_eq!(sources.reads.load(Ordering::SeqCst), 1);
        assert_eq!(first, second);
        assert_eq!(&first.body[..], b"boards=1 unread=3");
        assert_eq!(first.stamp, stamp(1));
    }

    #[tokio::test]
    async fn a_new_stamp_reads_afresh_and_keeps_the_new_rendering() {
        let sources = Arc::new(CountingSources::default());
        let cache = Arc::new(MapCache::default());
        let personal = Arc::new(AtomicUsize::new(1));
        let p = personal.clone();
        let svc = service(stamps_at(move || p.load(Ordering::SeqCst) as u64), sources.clone(), cache.clone());
        let before = svc.read(&caller(), render).await.unwrap();
        personal.store(2, Ordering::SeqCst);
        let after = svc.read(&caller(), render).await.unwrap();
        assert_eq!(sources.reads.load(Ordering::SeqCst), 2);
        assert_eq!(&after.body[..], b"boards=2 unread=3");
        assert_ne!(before.tag, after.tag, "a different body has a different tag");
        assert_eq!(cache.kept.lock().unwrap()[&caller().user_id].0, after);
    }

    #[tokio::test]
    async fn entries_live_for_the_time_to_live_plus_up_to_a_fifth() {
        let cache = Arc::new(MapCache::default());
        let svc = service(stamps_at(|| 1), Arc::new(CountingSources::default()), cache.clone())
            .with_ttl(Duration::from_secs(10));
        let mut seen = Vec::new();
        for user in 0..50 {
            let caller = Caller::user(UserId::from_uuid(uuid::Uuid::from_u128(user)), false);
            svc.read(&caller, render).await.unwrap();
            seen.push(cache.kept.lock().unwrap()[&caller.user_id].1);
        }
        assert!(seen.iter().all(|ttl| (Duration::from_secs(10)..=Duration::from_secs(12)).contains(ttl)), "{seen:?}");
        assert!(seen.iter().any(|ttl| *ttl != seen[0]), "the times to live are spread: {seen:?}");
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_user_read_the_sources_once() {
        let sources = Arc::new(CountingSources::default());
        let svc = service(stamps_at(|| 1), sources.clone(), Arc::new(MapCache::default()));
        let c = caller();
        let reads = futures::future::join_all((0..8).map(|_| svc.read(&c, render))).await;
        assert_eq!(sources.reads.load(Ordering::SeqCst), 1);
        assert!(reads.iter().all(|r| r.as_ref().unwrap().body == reads[0].as_ref().unwrap().body));
        assert!(svc.flights.lock().unwrap().is_empty(), "nobody waits, so no gate is kept");
    }

    /// Sources whose board read returns only once two reads are in it at the same time.
    struct Rendezvous(tokio::sync::Barrier);

    #[async_trait::async_trait]
    impl Sources for Rendezvous {
        async fn boards(
            &self,
            _: &Caller,
            _: DateTime<Utc>,
            _: DateTime<Utc>,
            _: Limits,
        ) -> Result<BoardsPart, RepoError> {
            self.0.wait().await;
            Ok(BoardsPart::default())
        }
        async fn reminders(&self, c: &Caller, l: u32) -> Result<Vec<ReminderBrief>, RepoError> {
            CountingSources::default().reminders(c, l).await
        }
        async fn notes(&self, c: &Caller, l: u32) -> Result<(Vec<NoteBrief>, Vec<NoteBrief>), RepoError> {
            CountingSources::default().notes(c, l).await
        }
        async fn notifications(&self, c: &Caller, l: u32) -> Result<NotificationSummary, RepoError> {
            CountingSources::default().notifications(c, l).await
        }
        async fn activity(&self, c: &Caller, l: u32) -> Result<Vec<Activity>, RepoError> {
            CountingSources::default().activity(c, l).await
        }
    }

    #[tokio::test]
    async fn other_users_do_not_wait_for_each_other() {
        let svc =
            service(stamps_at(|| 1), Arc::new(Rendezvous(tokio::sync::Barrier::new(2))), Arc::new(MapCache::default()));
        let (a, b) = (caller(), Caller::user(UserId::from_uuid(uuid::Uuid::from_u128(8)), false));
        // Were the two users' reads taken in turn, neither would pass the rendezvous.
        let both = futures::future::join(svc.read(&a, render), svc.read(&b, render));
        let (a, b) = tokio::time::timeout(Duration::from_secs(10), both).await.expect("the reads ran side by side");
        assert!(a.is_ok() && b.is_ok());
    }

    #[tokio::test]
    async fn a_failing_cache_is_read_around() {
        let sources = Arc::new(CountingSources::default());
        let mut cache = MockDashboardCache::new();
        cache.expect_get().returning(|_| Err(RepoError::Unavailable("redis is down".into())));
        cache.expect_put().times(2).returning(|_, _, _| Err(RepoError::Unavailable("redis is down".into())));
        let svc = service(stamps_at(|| 1), sources.clone(), Arc::new(cache));
        assert_eq!(&svc.read(&caller(), render).await.unwrap().body[..], b"boards=1 unread=3");
        assert_eq!(&svc.read(&caller(), render).await.unwrap().body[..], b"boards=2 unread=3");
    }

    #[tokio::test]
    async fn a_failing_stamp_fails_the_read() {
        let mut stamps = MockStamps::new();
        stamps.expect_stamp().returning(|_| Err(RepoError::Unavailable("timeout".into())));
        let svc = service(Arc::new(stamps), Arc::new(CountingSources::default()), Arc::new(MapCache::default()));
        assert!(matches!(svc.read(&caller(), render).await, Err(DashboardError::Unavailable(_))));
    }

    #[tokio::test]
    async fn cards_are_due_soon_for_seven_days_from_the_clock() {
        let sources = Arc::new(CountingSources::default());
        let svc = service(stamps_at(|| 1), sources.clone(), Arc::new(MapCache::default()));
        let dashboard = svc.compute(&caller()).await.unwrap();
        assert_eq!(dashboard.generated_at, t0());
        assert_eq!(sources.seen.lock().unwrap()[0], (t0(), t0() + chrono::Duration::days(7)));
    }
}
