//! Reading the audit log.

use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt as _, TryStreamExt as _};
use kernel::{Caller, Page, PageRequest};
use uuid::Uuid;

use crate::error::AuditError;
use crate::model::{AuditEvent, AuditFilter, Visibility};
use crate::ports::{AuditLog, AuditSeals};
use crate::seal::{self, Verification};

/// Events read per round trip by the export.
const EXPORT_BATCH: u64 = 500;

/// Queries over the audit log, limited to what the caller may see.
#[derive(Clone)]
pub struct AuditService {
    log: Arc<dyn AuditLog>,
    seals: Arc<dyn AuditSeals>,
}

impl std::fmt::Debug for AuditService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditService").finish_non_exhaustive()
    }
}

impl AuditService {
    /// A service over `log` and its `seals`.
    pub fn new(log: Arc<dyn AuditLog>, seals: Arc<dyn AuditSeals>) -> Self {
        Self { log, seals }
    }

    /// Events matching `filter` that the caller may see, newest first.
    #[tracing::instrument(target = "audit::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn list(
        &self,
        caller: &Caller,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, AuditError> {
        check_window(&filter)?;
        if caller.is_admin {
            return Ok(self.log.list(Visibility::All, &filter, page).await?);
        }
        self.as_member(caller, &filter, page).await
    }

    /// The newest events on the caller's boards and of their own doing, newest first: what
    /// concerns the caller as a member, administrators included.
    #[tracing::instrument(target = "audit::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn recent_for(&self, caller: &Caller, limit: u32) -> Result<Vec<AuditEvent>, AuditError> {
        Ok(self.as_member(caller, &AuditFilter::default(), PageRequest::new(Some(limit), None)).await?.items)
    }

    /// Events matching `filter` as a member sees them: of their boards and of their own doing.
    /// Members see what happened on their boards, not where their colleagues connect from.
    async fn as_member(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, AuditError> {
        let page = self.log.list(Visibility::MemberOf(caller.user_id), filter, page).await?;
        Ok(page.map(|mut event| {
            if event.actor_id != Some(caller.user_id) {
                event.client_ip = None;
                event.user_agent = None;
            }
            event
        }))
    }

    /// Every event matching `filter`, oldest first, read in batches as the stream is
    /// consumed (administrators only). The caller and the filter are checked before the
    /// first read; a store failure later ends the stream with the error.
    pub fn export(
        &self,
        caller: &Caller,
        filter: AuditFilter,
    ) -> Result<BoxStream<'static, Result<AuditEvent, AuditError>>, AuditError> {
        require_admin(caller)?;
        check_window(&filter)?;
        let log = self.log.clone();
        let batches = stream::try_unfold(Some(None::<Uuid>), move |cursor| {
            let (log, filter) = (log.clone(), filter.clone());
            async move {
                let Some(after) = cursor else { return Ok::<_, AuditError>(None) };
                let batch = log.oldest_first(&filter, after, EXPORT_BATCH).await?;
                let next = (batch.len() as u64 == EXPORT_BATCH).then(|| batch.last().map(|e| e.id));
                if batch.is_empty() {
                    return Ok(None);
                }
                Ok(Some((stream::iter(batch.into_iter().map(Ok::<_, AuditError>)), next)))
            }
        });
        Ok(batches.try_flatten().boxed())
    }

    /// Checks the hash chain over the whole log (administrators only).
    #[tracing::instrument(target = "audit::use_case", level = "debug", skip_all, err(level = "info"))]
    pub async fn verify(&self, caller: &Caller) -> Result<Verification, AuditError> {
        require_admin(caller)?;
        let report = seal::verify(self.seals.as_ref()).await?;
        if let Some(broken) = &report.first_break {
            tracing::error!(seal = broken.seal_seq, event = ?broken.event_id, kind = broken.kind.as_str(),
                "the audit log's hash chain is broken");
        }
        Ok(report)
    }
}

fn require_admin(caller: &Caller) -> Result<(), AuditError> {
    if caller.is_admin { Ok(()) } else { Err(AuditError::Forbidden) }
}

fn check_window(filter: &AuditFilter) -> Result<(), AuditError> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if from >= to => {
            Err(AuditError::Invalid { field: "from", message: "must be earlier than 'to'".into() })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};
    use kernel::UserId;
    use uuid::Uuid;

    use super::*;
    use crate::ports::{MockAuditLog, MockAuditSeals};

    fn service(log: MockAuditLog) -> AuditService {
        AuditService::new(Arc::new(log), Arc::new(MockAuditSeals::new()))
    }

    fn caller(admin: bool) -> Caller {
        Caller::user(UserId::from_uuid(Uuid::from_u128(7)), admin)
    }

    #[tokio::test]
    async fn administrators_read_everything() {
        let mut log = MockAuditLog::new();
        log.expect_list()
            .withf(|v, _, _| *v == Visibility::All)
            .times(1)
            .returning(|_, _, _| Ok(Page { items: vec![], next_cursor: None }));
        service(log).list(&caller(true), AuditFilter::default(), PageRequest::first()).await.unwrap();
    }

    #[tokio::test]
    async fn members_read_only_their_boards_and_their_own_actions() {
        let mut log = MockAuditLog::new();
        let me = caller(false).user_id;
        log.expect_list()
            .withf(move |v, _, _| *v == Visibility::MemberOf(me))
            .times(1)
            .returning(|_, _, _| Ok(Page { items: vec![], next_cursor: None }));
        service(log).list(&caller(false), AuditFilter::default(), PageRequest::first()).await.unwrap();
    }

    fn event(actor: UserId) -> AuditEvent {
        AuditEvent {
            id: Uuid::from_u128(1),
            occurred_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            actor_type: "user".into(),
            actor_id: Some(actor),
            token_id: None,
            action: "card.moved".into(),
            resource_type: "card".into(),
            resource_id: Uuid::from_u128(2),
            board_id: None,
            changes: serde_json::json!({}),
            request_id: Some("r".into()),
            trace_id: None,
            client_ip: Some("10.1.2.3".into()),
            user_agent: Some("curl".into()),
        }
    }

    #[tokio::test]
    async fn members_do_not_see_where_colleagues_connect_from() {
        let me = caller(false).user_id;
        let colleague = UserId::from_uuid(Uuid::from_u128(8));
        let mut log = MockAuditLog::new();
        log.expect_list()
            .returning(move |_, _, _| Ok(Page { items: vec![event(me), event(colleague)], next_cursor: None }));
        let page = service(log).list(&caller(false), AuditFilter::default(), PageRequest::first()).await.unwrap();
        assert_eq!(page.items[0].client_ip.as_deref(), Some("10.1.2.3"), "my own events keep it");
        assert_eq!((page.items[1].client_ip.as_ref(), page.items[1].user_agent.as_ref()), (None, None));
    }

    #[tokio::test]
    async fn an_empty_time_window_is_refused_before_querying() {
        let mut log = MockAuditLog::new();
        log.expect_list().never();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let filter = AuditFilter { from: Some(at), to: Some(at), ..AuditFilter::default() };
        let err = service(log).list(&caller(true), filter, PageRequest::first()).await;
        assert!(matches!(err, Err(AuditError::Invalid { field: "from", .. })));
    }

    fn numbered(from: u128, to: u128) -> Vec<AuditEvent> {
        (from..to)
            .map(|n| AuditEvent { id: Uuid::from_u128(n), ..event(UserId::from_uuid(Uuid::from_u128(7))) })
            .collect()
    }

    #[tokio::test]
    async fn the_export_reads_batch_after_batch_from_the_last_id_seen() {
        let mut log = MockAuditLog::new();
        let mut seq = mockall::Sequence::new();
        log.expect_oldest_first()
            .withf(|_, after, limit| after.is_none() && *limit == EXPORT_BATCH)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(numbered(1, 501)));
        log.expect_oldest_first()
            .withf(|_, after, _| *after == Some(Uuid::from_u128(500)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Ok(numbered(501, 504)));
        let events: Vec<AuditEvent> =
            service(log).export(&caller(true), AuditFilter::default()).unwrap().try_collect().await.unwrap();
        let ids: Vec<u128> = events.iter().map(|e| e.id.as_u128()).collect();
        assert_eq!(ids, (1..504).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_failure_while_exporting_ends_the_stream_with_the_error() {
        let mut log = MockAuditLog::new();
        let mut seq = mockall::Sequence::new();
        log.expect_oldest_first().times(1).in_sequence(&mut seq).returning(|_, _, _| Ok(numbered(1, 501)));
        log.expect_oldest_first()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _| Err(kernel::RepoError::Unavailable("gone".into())));
        let results: Vec<_> = service(log).export(&caller(true), AuditFilter::default()).unwrap().collect().await;
        assert_eq!(results.len(), 501);
        assert!(matches!(results.last(), Some(Err(AuditError::Unavailable(_)))));
    }

    #[tokio::test]
    async fn members_neither_export_nor_verify() {
        let mut log = MockAuditLog::new();
        log.expect_oldest_first().never();
        let mut seals = MockAuditSeals::new();
        seals.expect_seals().never();
        let service = AuditService::new(Arc::new(log), Arc::new(seals));
        assert!(matches!(service.export(&caller(false), AuditFilter::default()), Err(AuditError::Forbidden)));
        assert!(matches!(service.verify(&caller(false)).await, Err(AuditError::Forbidden)));
    }
}
