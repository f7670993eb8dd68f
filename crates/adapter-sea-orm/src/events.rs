//! Domain events land in two tables in the caller's transaction: `audit_events` (the
//! permanent record) and `outbox_events` (what the connector delivers and the event feed
//! serves). Writing both with the change is what makes "no change without its event" hold.

use kernel::{Actor, BoardId, DomainEvent, RepoError};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::RepoResult;

/// Appends `event` to the audit log and the outbox through `conn` and, when `revision_of` names a
/// board, advances that board's revision (decision 0032), in one call to the database: each
/// call is a round trip to PostgreSQL, or two thread switches to SQLite's worker thread, and
/// most of a small statement's cost; every write sends these (decision 0036). PostgreSQL takes
/// the inserts as data-modifying `WITH` parts of one statement (they run exactly once); SQLite
/// takes the same text as statements run in turn, its driver binding `$n` by number in each.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    event: &DomainEvent,
    revision_of: Option<BoardId>,
) -> Result<(), RepoError> {
    let backend = conn.get_database_backend();
    let sql = match (backend, revision_of.is_some()) {
        (DbBackend::Postgres, false) => PG_RECORD,
        (DbBackend::Postgres, true) => PG_RECORD_AND_ADVANCE,
        (_, false) => SQLITE_RECORD,
        (_, true) => SQLITE_RECORD_AND_ADVANCE,
    };
    let mut values = values(event);
    if let Some(board) = revision_of {
        values.push(board.as_uuid().into());
    }
    conn.execute(Statement::from_sql_and_values(backend, sql, values)).await.repo()?;
    Ok(())
}

/// The audit row, $1–$14.
macro_rules! insert_audit {
    () => {
        "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, token_id, action, \
         resource_type, resource_id, board_id, changes, request_id, trace_id, client_ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    };
}
/// The outbox row, from the same parameters.
macro_rules! insert_outbox {
    () => {
        "INSERT INTO outbox_events (id, occurred_at, event_type, resource_type, resource_id, board_id, \
         actor_user_id, payload) VALUES ($1, $2, $6, $7, $8, $9, $4, $10)"
    };
}
/// The revision of board $15 (no row when the board is gone: its deletion's own event).
macro_rules! advance_revision {
    () => {
        "UPDATE board_revisions SET revision = revision + 1 WHERE board_id = $15"
    };
}
/// Both rows.
const PG_RECORD: &str = concat!("WITH audit AS (", insert_audit!(), ") ", insert_outbox!());
/// Both rows, and the board's revision.
const PG_RECORD_AND_ADVANCE: &str =
    concat!("WITH audit AS (", insert_audit!(), "), outbox AS (", insert_outbox!(), ") ", advance_revision!());
/// Both rows.
const SQLITE_RECORD: &str = concat!(insert_audit!(), "; ", insert_outbox!());
/// Both rows, and the board's revision.
const SQLITE_RECORD_AND_ADVANCE: &str = concat!(insert_audit!(), "; ", insert_outbox!(), "; ", advance_revision!());

/// $1–$14 of the record statements.
fn values(event: &DomainEvent) -> Vec<Value> {
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
