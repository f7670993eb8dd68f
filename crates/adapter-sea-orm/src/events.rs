//! Domain events land in two tables in the caller's transaction: `audit_events` (the
//! permanent record) and `outbox_events` (what the connector delivers and the event feed
//! serves). Writing both with the change is what makes "no change without its event" hold.

use kernel::{Actor, BoardId, DomainEvent, RepoError, UserId};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::error::RepoResult;

/// Which revision a recorded event advances besides writing its rows, in the same
/// transaction: what lets a reader holding a copy check it with one small read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Advance {
    /// The board's revision and the time of its last change (decision 0032): the board's view
    /// and its members' dashboards show the change.
    Board(BoardId),
    /// The revision of the acting user's own data (decision 0046), when a user acts: a change
    /// to notes, reminders, notifications or the account shows on that user's dashboard.
    Actor,
}

/// Appends `event` to the audit log and the outbox through `conn` and advances the revision
/// `advance` names, in one call to the database: each call is a round trip to PostgreSQL, or
/// two thread switches to SQLite's worker thread, and most of a small statement's cost; every
/// write sends these (decision 0036). PostgreSQL takes the inserts as data-modifying `WITH`
/// parts of one statement (they run exactly once); SQLite takes the same text as statements
/// run in turn, its driver binding `$n` by number in each.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    event: &DomainEvent,
    advance: Advance,
) -> Result<(), RepoError> {
    let backend = conn.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let mut values = values(event);
    let sql = match advance {
        Advance::Board(board) => {
            values.push(board.as_uuid().into());
            if postgres { PG_RECORD_AND_ADVANCE_BOARD } else { SQLITE_RECORD_AND_ADVANCE_BOARD }
        }
        Advance::Actor if event.actor.user_id().is_some() => {
            if postgres {
                PG_RECORD_AND_ADVANCE_USER
            } else {
                SQLITE_RECORD_AND_ADVANCE_USER
            }
        }
        Advance::Actor => {
            if postgres {
                PG_RECORD
            } else {
                SQLITE_RECORD
            }
        }
    };
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
/// The outbox row, from the same parameters and the request's `traceparent`, $15.
macro_rules! insert_outbox {
    () => {
        "INSERT INTO outbox_events (id, occurred_at, event_type, resource_type, resource_id, board_id, \
         actor_user_id, payload, traceparent) VALUES ($1, $2, $6, $7, $8, $9, $4, $10, $15)"
    };
}
/// The revision of board $16 and the time of its last change, $2 (no row when the board is
/// gone: its deletion's own event).
macro_rules! advance_board {
    () => {
        "UPDATE board_revisions SET revision = revision + 1, changed_at = $2 WHERE board_id = $16"
    };
}
/// The revision of the user's own data; the row is made on the user's first change.
macro_rules! advance_user {
    ($user:literal) => {
        concat!(
            "INSERT INTO user_revisions (user_id, revision) VALUES (",
            $user,
            ", 1) ON CONFLICT (user_id) DO UPDATE SET revision = user_revisions.revision + 1"
        )
    };
}
/// Both rows.
const PG_RECORD: &str = concat!("WITH audit AS (", insert_audit!(), ") ", insert_outbox!());
/// Both rows, and the board's revision.
const PG_RECORD_AND_ADVANCE_BOARD: &str =
    concat!("WITH audit AS (", insert_audit!(), "), outbox AS (", insert_outbox!(), ") ", advance_board!());
/// Both rows, and the acting user's revision ($4, the actor's user id).
const PG_RECORD_AND_ADVANCE_USER: &str =
    concat!("WITH audit AS (", insert_audit!(), "), outbox AS (", insert_outbox!(), ") ", advance_user!("$4"));
/// Both rows.
const SQLITE_RECORD: &str = concat!(insert_audit!(), "; ", insert_outbox!());
/// Both rows, and the board's revision.
const SQLITE_RECORD_AND_ADVANCE_BOARD: &str = concat!(insert_audit!(), "; ", insert_outbox!(), "; ", advance_board!());
/// Both rows, and the acting user's revision.
const SQLITE_RECORD_AND_ADVANCE_USER: &str =
    concat!(insert_audit!(), "; ", insert_outbox!(), "; ", advance_user!("$4"));

/// Advances the revision of `user`'s own data through `conn`, for a change that concerns a
/// user other than its actor (a notification the scheduler made).
pub(crate) async fn advance_user<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<(), RepoError> {
    let backend = conn.get_database_backend();
    let sql = advance_user!("$1");
    conn.execute(Statement::from_sql_and_values(backend, sql, [user.as_uuid().into()])).await.repo()?;
    Ok(())
}

/// $1–$15 of the record statements.
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
        meta.traceparent.clone().into(),
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
