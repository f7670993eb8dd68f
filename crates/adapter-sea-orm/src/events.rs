//! Domain events land in two tables in the caller's transaction: `audit_events` (the
//! permanent record) and `outbox_events` (what the connector delivers and the event feed
//! serves). Writing both with the change is what makes "no change without its event" hold.

use kernel::{Actor, DomainEvent, RepoError};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, EntityTrait, Set};

use crate::entity::{audit_event, outbox_event};
use crate::error::RepoResult;

/// Appends `event` to the audit log and the outbox through `conn`.
pub(crate) async fn record<C: ConnectionTrait>(conn: &C, event: &DomainEvent) -> Result<(), RepoError> {
    let (actor_id, token_id) = match event.actor {
        Actor::User(u) => (Some(u.as_uuid()), None),
        Actor::Token { user, token } => (Some(user.as_uuid()), Some(token.as_uuid())),
        Actor::System | Actor::Anonymous => (None, None),
    };
    let board_id = event.board_id.map(|b| b.as_uuid());
    let changes = event.changes.clone().into_json();
    let audit = audit_event::ActiveModel {
        seq: NotSet,
        id: Set(event.id),
        occurred_at: Set(event.occurred_at),
        actor_type: Set(event.actor.kind().to_owned()),
        actor_id: Set(actor_id),
        token_id: Set(token_id),
        action: Set(event.action.to_owned()),
        resource_type: Set(event.resource_type.to_owned()),
        resource_id: Set(event.resource_id),
        board_id: Set(board_id),
        changes: Set(changes.clone()),
        request_id: Set(event.meta.request_id.clone()),
        trace_id: Set(event.meta.trace_id.clone()),
        client_ip: Set(event.meta.client_ip.clone()),
        user_agent: Set(event.meta.user_agent.clone()),
    };
    audit_event::Entity::insert(audit).exec_without_returning(conn).await.repo()?;
    let outbox = outbox_event::ActiveModel {
        seq: NotSet,
        id: Set(event.id),
        occurred_at: Set(event.occurred_at),
        event_type: Set(event.action.to_owned()),
        resource_type: Set(event.resource_type.to_owned()),
        resource_id: Set(event.resource_id),
        board_id: Set(board_id),
        actor_user_id: Set(actor_id),
        payload: Set(changes),
    };
    outbox_event::Entity::insert(outbox).exec_without_returning(conn).await.repo()?;
    Ok(())
}
