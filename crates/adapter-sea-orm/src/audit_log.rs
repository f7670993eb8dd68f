//! [`audit::AuditLog`] on the `audit_events` table.

use audit::{AuditEvent, AuditFilter, AuditLog, Visibility};
use kernel::{BoardId, Page, PageRequest, RepoError, TokenId, UserId};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait as _, Condition, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _};
use uuid::Uuid;

use crate::Db;
use crate::entity::{audit_event, board_member};
use crate::error::RepoResult as _;

/// The audit log in SQL.
#[derive(Debug, Clone)]
pub struct SeaAuditLog {
    db: Db,
}

impl SeaAuditLog {
    /// A log on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

pub(crate) fn visible(visibility: Visibility) -> Condition {
    match visibility {
        Visibility::All => Condition::all(),
        Visibility::MemberOf(user) => {
            let my_boards = Query::select()
                .column(board_member::Column::BoardId)
                .from(board_member::Entity)
                .and_where(board_member::Column::UserId.eq(user.as_uuid()))
                .to_owned();
            Condition::any()
                .add(audit_event::Column::ActorId.eq(user.as_uuid()))
                .add(audit_event::Column::BoardId.in_subquery(my_boards))
        }
    }
}

fn selected(filter: &AuditFilter) -> Condition {
    use audit_event::Column as C;
    let mut c = Condition::all();
    if let Some(actor) = filter.actor {
        c = c.add(C::ActorId.eq(actor.as_uuid()));
    }
    if let Some(action) = &filter.action {
        c = c.add(C::Action.eq(action.as_str()));
    }
    if let Some(kind) = &filter.resource_type {
        c = c.add(C::ResourceType.eq(kind.as_str()));
    }
    if let Some(id) = filter.resource_id {
        c = c.add(C::ResourceId.eq(id));
    }
    if let Some(board) = filter.board_id {
        c = c.add(C::BoardId.eq(board.as_uuid()));
    }
    if let Some(from) = filter.from {
        c = c.add(C::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        c = c.add(C::OccurredAt.lt(to));
    }
    c
}

pub(crate) fn from_row(row: audit_event::Model) -> AuditEvent {
    AuditEvent {
        id: row.id,
        occurred_at: row.occurred_at,
        actor_type: row.actor_type,
        actor_id: row.actor_id.map(UserId::from_uuid),
        token_id: row.token_id.map(TokenId::from_uuid),
        action: row.action,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
        board_id: row.board_id.map(BoardId::from_uuid),
        changes: row.changes,
        request_id: row.request_id,
        trace_id: row.trace_id,
        client_ip: row.client_ip,
        user_agent: row.user_agent,
    }
}

#[async_trait::async_trait]
impl AuditLog for SeaAuditLog {
    async fn list(
        &self,
        visibility: Visibility,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>, RepoError> {
        let mut query = audit_event::Entity::find()
            .filter(visible(visibility))
            .filter(selected(filter))
            .order_by_desc(audit_event::Column::Id)
            .limit(page.fetch_limit());
        if let Some(after) = page.after() {
            query = query.filter(audit_event::Column::Id.lt(after));
        }
        let rows = query.all(self.db.reads()).await.repo()?;
        Ok(Page::from_overfetch(rows.into_iter().map(from_row).collect(), page, |e| e.id))
    }

    async fn oldest_first(
        &self,
        filter: &AuditFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, RepoError> {
        let mut query =
            audit_event::Entity::find().filter(selected(filter)).order_by_asc(audit_event::Column::Id).limit(limit);
        if let Some(after) = after {
            query = query.filter(audit_event::Column::Id.gt(after));
        }
        let rows = query.all(self.db.reads()).await.repo()?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
