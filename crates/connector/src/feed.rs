//! Reading the feed.

use std::sync::Arc;

use kernel::{Caller, PageRequest};

use crate::error::FeedError;
use crate::model::{FeedEvent, FeedPosition, SealSpan, Viewer};
use crate::ports::EventLog;

/// One read of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// The events, in feed order.
    pub items: Vec<FeedEvent>,
    /// Where to resume: after the last event read or, when the read came back short, after
    /// the newest seal (events the caller may not see are passed over, so a member on quiet
    /// boards keeps up with the feed); `None` only while nothing is sealed and nothing was given.
    /// A client keeps it and asks again later.
    pub next: Option<FeedPosition>,
}

/// The event feed: administrators read every event; members the events of their boards and
/// their own, as in the audit log (decision 0018).
pub struct EventFeed {
    log: Arc<dyn EventLog>,
}

impl EventFeed {
    /// A feed over `log`.
    pub fn new(log: Arc<dyn EventLog>) -> Self {
        Self { log }
    }

    /// The events after `after` that the caller may see; at most `limit` (default 50, clamped
    /// to 1..=200).
    ///
    /// The seals are read twice: before the events, so that a short read may move the cursor to
    /// the end of the newest seal (every event the caller may see up to it was read), and
    /// after, so that a removal under the cursor just before the read is noticed.
    ///
    /// # Errors
    /// [`FeedError::CursorExpired`] when `after` lies in a seal retention has removed (some
    /// events after it may be gone); [`FeedError`] when the log cannot be read.
    #[tracing::instrument(target = "connector::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn read(
        &self,
        caller: &Caller,
        after: Option<FeedPosition>,
        limit: Option<u32>,
    ) -> Result<FeedPage, FeedError> {
        let viewer = if caller.is_admin { Viewer::All } else { Viewer::MemberOf(caller.user_id) };
        let limit = PageRequest::new(limit, None).limit();
        let before = self.log.seals().await?;
        let items = self.log.after(viewer, after, limit).await?;
        if let Some(at) = after
            && let Some(SealSpan { oldest, .. }) = self.log.seals().await?
            && at.seal < oldest
        {
            return Err(FeedError::CursorExpired { seal: at.seal, oldest });
        }
        let short = items.len() < usize::try_from(limit).unwrap_or(usize::MAX);
        let read_through = short.then(|| before.map(|s| FeedPosition::end_of(s.newest))).flatten();
        // A cursor only moves forward.
        let next = [items.last().map(|e| e.position), read_through, after].into_iter().flatten().max();
        Ok(FeedPage { items, next })
    }
}

impl std::fmt::Debug for EventFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventFeed").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use kernel::{RepoError, UserId};
    use uuid::Uuid;

    use super::*;
    use crate::ports::MockEventLog;

    fn event(seal: u64, seq: u64) -> FeedEvent {
        FeedEvent {
            position: FeedPosition { seal, seq },
            id: Uuid::from_u128(u128::from(seq)),
            occurred_at: Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap(),
            actor_id: None,
            action: "card.moved".into(),
            resource_type: "card".into(),
            resource_id: Uuid::nil(),
            board_id: None,
            changes: serde_json::json!({}),
        }
    }

    const ANN: UserId = UserId::from_uuid(Uuid::from_u128(1));

    fn span(oldest: u64, newest: u64) -> SealSpan {
        SealSpan { oldest, newest }
    }

    #[tokio::test]
    async fn a_full_read_resumes_after_its_last_event() {
        let mut log = MockEventLog::new();
        log.expect_seals().returning(|| Ok(Some(span(1, 9))));
        log.expect_after()
            .withf(|viewer, after, limit| {
                *viewer == Viewer::MemberOf(ANN) && *after == Some(FeedPosition { seal: 1, seq: 3 }) && *limit == 2
            })
            .returning(|_, _, _| Ok(vec![event(1, 4), event(2, 9)]));
        let page = EventFeed::new(Arc::new(log))
            .read(&Caller::user(ANN, false), Some(FeedPosition { seal: 1, seq: 3 }), Some(2))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next, Some(FeedPosition { seal: 2, seq: 9 }), "more may follow in seal 2");
    }

    #[tokio::test]
    async fn a_short_read_moves_on_to_the_end_of_the_newest_seal_seen_before_it() {
        let mut log = MockEventLog::new();
        let mut order = mockall::Sequence::new();
        log.expect_seals().times(1).in_sequence(&mut order).returning(|| Ok(Some(span(1, 7))));
        log.expect_after()
            .withf(|viewer, _, limit| *viewer == Viewer::MemberOf(ANN) && *limit == 200)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_, _, _| Ok(vec![event(4, 40)]));
        // Sealed during the read: seal 8 may hold events the read did not see.
        log.expect_seals().times(1).in_sequence(&mut order).returning(|| Ok(Some(span(1, 8))));
        let page = EventFeed::new(Arc::new(log))
            .read(&Caller::user(ANN, false), Some(FeedPosition { seal: 1, seq: 3 }), Some(5000))
            .await
            .unwrap();
        assert_eq!(page.next, Some(FeedPosition::end_of(7)));
    }

    #[tokio::test]
    async fn an_empty_read_moves_on_and_an_empty_log_has_no_cursor() {
        let mut log = MockEventLog::new();
        log.expect_seals().returning(|| Ok(Some(span(3, 7))));
        log.expect_after()
            .withf(|viewer, _, limit| *viewer == Viewer::All && *limit == 50)
            .returning(|_, _, _| Ok(vec![]));
        let feed = EventFeed::new(Arc::new(log));
        let admin = Caller::user(ANN, true);
        let at = Some(FeedPosition { seal: 5, seq: 70 });
        assert_eq!(feed.read(&admin, at, None).await.unwrap().next, Some(FeedPosition::end_of(7)));
        assert_eq!(feed.read(&admin, None, None).await.unwrap().next, Some(FeedPosition::end_of(7)));

        let mut empty = MockEventLog::new();
        empty.expect_seals().returning(|| Ok(None));
        empty.expect_after().returning(|_, _, _| Ok(vec![]));
        let feed = EventFeed::new(Arc::new(empty));
        assert_eq!(feed.read(&admin, None, None).await.unwrap().next, None);
        assert_eq!(feed.read(&admin, at, None).await.unwrap().next, at, "a cursor never moves back");
    }

    #[tokio::test]
    async fn a_cursor_in_a_seal_removed_by_the_time_of_the_read_has_expired() {
        let mut log = MockEventLog::new();
        let mut order = mockall::Sequence::new();
        log.expect_seals().times(1).in_sequence(&mut order).returning(|| Ok(Some(span(4, 9))));
        log.expect_after().times(1).in_sequence(&mut order).returning(|_, _, _| Ok(vec![event(5, 50)]));
        // Seal 4 was removed while the events were read.
        log.expect_seals().times(1).in_sequence(&mut order).returning(|| Ok(Some(span(5, 9))));
        let feed = EventFeed::new(Arc::new(log));
        let member = Caller::user(ANN, false);
        let read = feed.read(&member, Some(FeedPosition { seal: 4, seq: 44 }), None).await;
        assert!(matches!(read, Err(FeedError::CursorExpired { seal: 4, oldest: 5 })), "{read:?}");
    }

    #[tokio::test]
    async fn a_cursor_in_the_oldest_kept_seal_reads_on() {
        let mut log = MockEventLog::new();
        log.expect_seals().returning(|| Ok(Some(span(5, 9))));
        log.expect_after().returning(|_, _, _| Ok(vec![event(5, 50)]));
        let read = EventFeed::new(Arc::new(log))
            .read(&Caller::user(ANN, false), Some(FeedPosition { seal: 5, seq: 40 }), None)
            .await;
        assert_eq!(read.unwrap().items.len(), 1);
    }

    #[tokio::test]
    async fn a_store_that_does_not_answer_is_unavailable() {
        let mut log = MockEventLog::new();
        log.expect_seals().returning(|| Err(RepoError::Unavailable("timeout".into())));
        log.expect_after().returning(|_, _, _| Err(RepoError::Unavailable("timeout".into())));
        let read = EventFeed::new(Arc::new(log)).read(&Caller::user(ANN, false), None, None).await;
        assert!(matches!(read, Err(FeedError::Unavailable(_))));
    }
}
