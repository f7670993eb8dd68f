//! Reading the feed.

use std::sync::Arc;

use kernel::{Caller, PageRequest};

use crate::error::FeedError;
use crate::model::{FeedEvent, FeedPosition, Viewer};
use crate::ports::EventLog;

/// One read of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// The events, in feed order.
    pub items: Vec<FeedEvent>,
    /// Where to resume: after the last event read, or where the read started when it found
    /// none (`None` only for an empty feed read from the start). Never the end of the feed:
    /// a client keeps it and asks again later.
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
    /// # Errors
    /// [`FeedError::CursorExpired`] when `after` lies in a seal retention has removed (some
    /// events after it may be gone); [`FeedError`] when the log cannot be read.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn read(
        &self,
        caller: &Caller,
        after: Option<FeedPosition>,
        limit: Option<u32>,
    ) -> Result<FeedPage, FeedError> {
        let viewer = if caller.is_admin { Viewer::All } else { Viewer::MemberOf(caller.user_id) };
        let limit = PageRequest::new(limit, None).limit();
        let items = self.log.after(viewer, after, limit).await?;
        // Checked after the read, so that a removal just before it cannot go unnoticed.
        if let Some(at) = after
            && let Some(oldest) = self.log.oldest_seal().await?
            && at.seal < oldest
        {
            return Err(FeedError::CursorExpired { seal: at.seal, oldest });
        }
        let next = items.last().map(|e| e.position).or(after);
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

    #[tokio::test]
    async fn members_read_as_members_and_resume_after_the_last_event() {
        let mut log = MockEventLog::new();
        log.expect_after()
            .withf(|viewer, after, limit| {
                *viewer == Viewer::MemberOf(ANN) && *after == Some(FeedPosition { seal: 1, seq: 3 }) && *limit == 200
            })
            .returning(|_, _, _| Ok(vec![event(1, 4), event(2, 9)]));
        log.expect_oldest_seal().returning(|| Ok(Some(1)));
        let page = EventFeed::new(Arc::new(log))
            .read(&Caller::user(ANN, false), Some(FeedPosition { seal: 1, seq: 3 }), Some(5000))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next, Some(FeedPosition { seal: 2, seq: 9 }));
    }

    #[tokio::test]
    async fn an_empty_read_resumes_where_it_started_and_administrators_see_all() {
        let mut log = MockEventLog::new();
        log.expect_after()
            .withf(|viewer, _, limit| *viewer == Viewer::All && *limit == 50)
            .returning(|_, _, _| Ok(vec![]));
        log.expect_oldest_seal().times(1).returning(|| Ok(Some(3)));
        let feed = EventFeed::new(Arc::new(log));
        let admin = Caller::user(ANN, true);
        let at = Some(FeedPosition { seal: 7, seq: 70 });
        assert_eq!(feed.read(&admin, at, None).await.unwrap().next, at);
        assert_eq!(feed.read(&admin, None, None).await.unwrap().next, None);
    }

    #[tokio::test]
    async fn a_cursor_in_a_removed_seal_has_expired_even_when_events_follow() {
        let mut log = MockEventLog::new();
        log.expect_after().returning(|_, _, _| Ok(vec![event(5, 50)]));
        log.expect_oldest_seal().returning(|| Ok(Some(5)));
        let feed = EventFeed::new(Arc::new(log));
        let member = Caller::user(ANN, false);
        let read = feed.read(&member, Some(FeedPosition { seal: 4, seq: 44 }), None).await;
        assert!(matches!(read, Err(FeedError::CursorExpired { seal: 4, oldest: 5 })), "{read:?}");
        let read = feed.read(&member, Some(FeedPosition { seal: 5, seq: 40 }), None).await;
        assert_eq!(read.unwrap().items.len(), 1, "a cursor in the oldest kept seal reads on");
    }

    #[tokio::test]
    async fn a_store_that_does_not_answer_is_unavailable() {
        let mut log = MockEventLog::new();
        log.expect_after().returning(|_, _, _| Err(RepoError::Unavailable("timeout".into())));
        let read = EventFeed::new(Arc::new(log)).read(&Caller::user(ANN, false), None, None).await;
        assert!(matches!(read, Err(FeedError::Unavailable(_))));
    }
}
