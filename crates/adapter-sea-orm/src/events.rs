//! Domain events land in two tables in the caller's transaction: `audit_events` (the
//! permanent record) and `outbox_events` (what the connector delivers and the event feed
//! serves). Writing both with the change is what makes "no change without its event" hold.

use kernel::{Actor, BoardId, DomainEvent, RepoError};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, DbBackend, EntityTrait, Set, Statement, Value};

use crate::entity::{audit_event, outbox_event};
use crate::error::RepoResult;

/// Appends `event` to the audit log and the outbox through `conn` and, when `revision_of` names a
/// board, advances that board's revision (decision 0032). On PostgreSQL this is one statement
/// (the inserts as data-modifying `WITH` parts, which run exactly once): each statement is a
/// round trip to the server and most of a small statement's cost, and every write sends these
/// (decision 0036). SQLite runs in-process and takes them one by one.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    event: &DomainEvent,
    revision_of: Option<BoardId>,
) -> Result<(), RepoError> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = if revision_of.is_some() { PG_RECORD_AND_ADVANCE } else { PG_RECORD };
        let mut values = pg_values(event);
        if let Some(board) = revision_of {
            values.push(board.as_uuid().into());
        }
        conn.execute(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await.repo()?;
        return Ok(());
    }
    insert_rows(conn, event).await?;
    if let Some(board) = revision_of {
        crate::board_store::advance_revision(conn, board).await?;
    }
    Ok(())
}

/// Inserts the audit row ($1–$14); the outbox row takes its values from the same parameters.
macro_rules! pg_insert_both {
    () => {
        "WITH audit AS (INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, token_id, action, \
         resource_type, resource_id, board_id, changes, request_id, trace_id, client_ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14))"
    };
}
macro_rules! pg_outbox {
    () => {
        "INSERT INTO outbox_events (id, occurred_at, event_type, resource_type, resource_id, board_id, \
         actor_user_id, payload) VALUES ($1, $2, $6, $7, $8, $9, $4, $10)"
    };
}
/// Both rows.
const PG_RECORD: &str = concat!(pg_insert_both!(), " ", pg_outbox!());
/// Both rows, and the revision of board $15.
const PG_RECORD_AND_ADVANCE: &str = concat!(
    pg_insert_both!(),
    ", outbox AS (",
    pg_outbox!(),
    ") UPDATE board_revisions SET revision = revision + 1 WHERE board_id = $15"
);

/// $1–$14 of [`PG_RECORD`].
fn pg_values(event: &DomainEvent) -> Vec<Value> {
    let (actor_id, token_id) = actor_ids(event.actor);
    let meta = &event.meta;
    vec![
        event.id.into(),
        event.occurred_at.into(),
        event.actor.kind().into(),
        actor_id.into(),
        token_id.into(),
        event.action.into(),
        event.resource_type.into(),
        event.resource_id.into(),
        event.board_id.map(|b| b.as_uuid()).into(),
        Value::Json(Some(Box::new(event.changes.clone().into_json()))),
        meta.request_id.clone().into(),
        meta.trace_id.clone().into(),
        meta.client_ip.clone().into(),
        meta.user_agent.clone().into(),
    ]
}

/// The user and token behind the event's actor, as stored.
fn actor_ids(actor: Actor) -> (Option<uuid::Uuid>, Option<uuid::Uuid>) {
    match actor {
        Actor::User(u) => (Some(u.as_uuid()), None),
        Actor::Token { user, token } => (Some(user.as_uuid()), Some(token.as_uuid())),
        Actor::System | Actor::Anonymous => (None, None),
    }
}

/// The two rows one by one (SQLite).
async fn insert_rows<C: ConnectionTrait>(conn: &C, event: &DomainEvent) -> Result<(), RepoError> {
    let (actor_id, token_id) = actor_ids(event.actor);
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
