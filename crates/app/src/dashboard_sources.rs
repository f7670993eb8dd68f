//! The dashboard's [`dashboard::Sources`], read through the other domains' services: each
//! domain applies its own rules of who sees what, and the dashboard sees only its summaries.

use std::sync::Arc;

use audit::{AuditError, AuditService};
use board::{BoardError, BoardService, CardRef, OverviewLimits};
use chrono::{DateTime, Utc};
use dashboard::{
    Activity, BoardBrief, BoardSummary, BoardsPart, CardBrief, ColumnCards, Limits, NoteBrief, NotificationBrief,
    NotificationSummary, ReminderBrief, Sources,
};
use kernel::{Caller, PageRequest, RepoError};
use notes::{Note, NoteError, NoteFilter, NoteService};
use reminders::{NotificationService, ReminderError, ReminderService};

/// The services the dashboard reads.
pub(crate) struct DomainSources {
    pub(crate) boards: Arc<BoardService>,
    pub(crate) notes: Arc<NoteService>,
    pub(crate) reminders: Arc<ReminderService>,
    pub(crate) notifications: Arc<NotificationService>,
    pub(crate) audit: Arc<AuditService>,
}

/// A domain's error as the port's: a store that did not answer stays "unavailable" (503).
macro_rules! into_repo_error {
    ($($error:ident),+) => {$(
        impl From<$error> for SourceError {
            fn from(e: $error) -> Self {
                Self(match e {
                    $error::Unavailable(why) => RepoError::Unavailable(why),
                    other => RepoError::Unexpected(anyhow::Error::new(other)),
                })
            }
        }
    )+};
}

/// A domain's error on its way to [`RepoError`].
struct SourceError(RepoError);
into_repo_error!(BoardError, NoteError, ReminderError, AuditError);

impl From<SourceError> for RepoError {
    fn from(e: SourceError) -> Self {
        e.0
    }
}

fn card(c: CardRef) -> CardBrief {
    CardBrief {
        id: c.id,
        title: c.title,
        board_id: c.board_id,
        board_name: c.board_name,
        column_id: c.column_id,
        column_name: c.column_name,
        due_at: c.due_at,
    }
}

fn note(n: &Note) -> NoteBrief {
    NoteBrief {
        id: n.id,
        title: n.title.as_str().to_owned(),
        pinned: n.pinned,
        board_id: n.board_id,
        updated_at: n.updated_at,
    }
}

#[async_trait::async_trait]
impl Sources for DomainSources {
    async fn boards(
        &self,
        caller: &Caller,
        now: DateTime<Utc>,
        due_until: DateTime<Utc>,
        limits: Limits,
    ) -> Result<BoardsPart, RepoError> {
        let limits = OverviewLimits {
            recent_boards: limits.recent_boards,
            columns: limits.columns,
            cards_per_column: limits.cards_per_column,
            due_cards: limits.due_cards,
        };
        let overview = self.boards.overview(caller, now, due_until, limits).await.map_err(SourceError::from)?;
        let recent = overview
            .recent
            .into_iter()
            .map(|b| BoardBrief { id: b.id, name: b.name, last_activity_at: b.changed_at })
            .collect();
        let my_cards = overview
            .assigned
            .into_iter()
            .filter_map(|load| {
                let first = load.cards.first()?;
                Some(ColumnCards {
                    board_id: first.board_id,
                    board_name: first.board_name.clone(),
                    column_id: first.column_id,
                    column_name: first.column_name.clone(),
                    count: load.count,
                    cards: load.cards.into_iter().map(card).collect(),
                })
            })
            .collect();
        Ok(BoardsPart {
            summary: BoardSummary { count: overview.board_count, recent },
            my_cards,
            overdue: overview.overdue.into_iter().map(card).collect(),
            due_soon: overview.due_soon.into_iter().map(card).collect(),
        })
    }

    async fn reminders(&self, caller: &Caller, limit: u32) -> Result<Vec<ReminderBrief>, RepoError> {
        let next = self.reminders.next(caller, limit).await.map_err(SourceError::from)?;
        Ok(next
            .into_iter()
            .map(|r| ReminderBrief {
                id: r.id,
                title: r.title.as_str().to_owned(),
                next_fire_at: r.next_fire_at,
                timezone: r.timezone.name().to_owned(),
            })
            .collect())
    }

    async fn notes(&self, caller: &Caller, limit: u32) -> Result<(Vec<NoteBrief>, Vec<NoteBrief>), RepoError> {
        let pinned = NoteFilter { pinned: Some(true), ..NoteFilter::default() };
        let (pinned, recent) = futures::try_join!(
            self.notes.list(caller, pinned, Some(limit), None),
            self.notes.list(caller, NoteFilter::default(), Some(limit), None),
        )
        .map_err(SourceError::from)?;
        Ok((pinned.items.iter().map(note).collect(), recent.items.iter().map(note).collect()))
    }

    async fn notifications(&self, caller: &Caller, limit: u32) -> Result<NotificationSummary, RepoError> {
        let (unread, latest) = futures::try_join!(
            self.notifications.unread_count(caller),
            self.notifications.list(caller, Some(true), PageRequest::new(Some(limit), None)),
        )
        .map_err(SourceError::from)?;
        let latest = latest
            .items
            .into_iter()
            .map(|n| NotificationBrief { id: n.id, title: n.title, created_at: n.created_at })
            .collect();
        Ok(NotificationSummary { unread, latest })
    }

    async fn activity(&self, caller: &Caller, limit: u32) -> Result<Vec<Activity>, RepoError> {
        let events = self.audit.recent_for(caller, limit).await.map_err(SourceError::from)?;
        Ok(events
            .into_iter()
            .map(|e| Activity {
                id: e.id,
                occurred_at: e.occurred_at,
                actor_id: e.actor_id,
                action: e.action,
                resource_type: e.resource_type,
                resource_id: e.resource_id,
                board_id: e.board_id,
            })
            .collect())
    }
}
