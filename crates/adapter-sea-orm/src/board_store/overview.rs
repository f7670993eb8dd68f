//! A user's boards at a glance ([`board::BoardStore::overview`]): five statements, written
//! once for both dialects (`$n` parameters; window functions are in PostgreSQL and SQLite
//! 3.25+), run side by side on the reading connections.

use board::{CardRef, ColumnLoad, Overview, OverviewLimits, RecentBoard};
use chrono::{DateTime, Utc};
use kernel::{BoardId, CardId, ColumnId, RepoError, UserId};
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::error::RepoResult;

/// Boards the user is a member of.
const COUNT: &str = "SELECT count(*) AS n FROM board_members WHERE user_id = $1";

/// Open boards, the most recently changed first (rows from before migration m0010 fall back
/// to the board's own last change).
const RECENT: &str = "\
    SELECT b.id, b.name, coalesce(r.changed_at, b.updated_at) AS changed_at \
    FROM board_members m \
    JOIN boards b ON b.id = m.board_id \
    JOIN board_revisions r ON r.board_id = m.board_id \
    WHERE m.user_id = $1 AND b.archived = $2 \
    ORDER BY changed_at DESC, b.id DESC \
    LIMIT $3";

/// The user's open cards on open boards: the first $3 of each column in the column's order,
/// each with its column's count, boards by name and columns in board order; at most $4 rows.
/// Assignees are members (a foreign key), so no membership check is needed.
const ASSIGNED: &str = "\
    SELECT * FROM ( \
        SELECT c.id, c.title, c.due_at, c.board_id, b.name AS board_name, c.column_id, \
               col.name AS column_name, col.rank AS column_rank, \
               row_number() OVER (PARTITION BY c.column_id ORDER BY c.rank, c.id) AS place, \
               count(*) OVER (PARTITION BY c.column_id) AS in_column \
        FROM card_assignees a \
        JOIN cards c ON c.id = a.card_id \
        JOIN boards b ON b.id = c.board_id \
        JOIN board_columns col ON col.id = c.column_id \
        WHERE a.user_id = $1 AND c.archived = $2 AND b.archived = $2 \
    ) t \
    WHERE t.place <= $3 \
    ORDER BY t.board_name, t.board_id, t.column_rank, t.column_id, t.place \
    LIMIT $4";

/// The columns of a due card: open cards on the user's open boards.
macro_rules! due_cards {
    ($range:literal, $limit:literal) => {
        concat!(
            "SELECT c.id, c.title, c.due_at, c.board_id, b.name AS board_name, c.column_id, col.name AS column_name \
             FROM board_members m \
             JOIN cards c ON c.board_id = m.board_id \
             JOIN boards b ON b.id = c.board_id \
             JOIN board_columns col ON col.id = c.column_id \
             WHERE m.user_id = $1 AND c.archived = $2 AND b.archived = $2 AND ",
            $range,
            " ORDER BY c.due_at, c.id LIMIT ",
            $limit
        )
    };
}
/// Due before $3 (now), the longest overdue first.
const OVERDUE: &str = due_cards!("c.due_at < $3", "$4");
/// Due from $3 (now) until $4, soonest first.
const DUE_SOON: &str = due_cards!("c.due_at >= $3 AND c.due_at < $4", "$5");

pub(super) async fn overview<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    now: DateTime<Utc>,
    due_until: DateTime<Utc>,
    limits: OverviewLimits,
) -> Result<Overview, RepoError> {
    let user = Value::from(user.as_uuid());
    let open = Value::from(false);
    let query = |sql: &'static str, values: Vec<Value>| {
        conn.query_all(Statement::from_sql_and_values(conn.get_database_backend(), sql, values))
    };
    let assigned_rows = i64::from(limits.columns) * i64::from(limits.cards_per_column);
    let limit = |n: u32| Value::from(i64::from(n));
    let (count, recent, assigned, overdue, due_soon) = futures::try_join!(
        query(COUNT, vec![user.clone()]),
        query(RECENT, vec![user.clone(), open.clone(), limit(limits.recent_boards)]),
        query(ASSIGNED, vec![user.clone(), open.clone(), limit(limits.cards_per_column), assigned_rows.into()]),
        query(OVERDUE, vec![user.clone(), open.clone(), now.into(), limit(limits.due_cards)]),
        query(DUE_SOON, vec![user, open, now.into(), due_until.into(), limit(limits.due_cards)]),
    )
    .repo()?;
    let board_count = count.first().map(|row| row.try_get::<i64>("", "n")).transpose().repo()?.unwrap_or_default();
    Ok(Overview {
        board_count: board_count.unsigned_abs(),
        recent: recent.iter().map(recent_board).collect::<Result<_, _>>()?,
        assigned: by_column(&assigned, limits.columns)?,
        overdue: overdue.iter().map(card_ref).collect::<Result<_, _>>()?,
        due_soon: due_soon.iter().map(card_ref).collect::<Result<_, _>>()?,
    })
}

fn recent_board(row: &QueryResult) -> Result<RecentBoard, RepoError> {
    Ok(RecentBoard {
        id: BoardId::from_uuid(row.try_get::<Uuid>("", "id").repo()?),
        name: row.try_get("", "name").repo()?,
        changed_at: row.try_get("", "changed_at").repo()?,
    })
}

fn card_ref(row: &QueryResult) -> Result<CardRef, RepoError> {
    Ok(CardRef {
        id: CardId::from_uuid(row.try_get::<Uuid>("", "id").repo()?),
        title: row.try_get("", "title").repo()?,
        board_id: BoardId::from_uuid(row.try_get::<Uuid>("", "board_id").repo()?),
        board_name: row.try_get("", "board_name").repo()?,
        column_id: ColumnId::from_uuid(row.try_get::<Uuid>("", "column_id").repo()?),
        column_name: row.try_get("", "column_name").repo()?,
        due_at: row.try_get("", "due_at").repo()?,
    })
}

/// Rows in column order, grouped by column; at most `columns` groups.
fn by_column(rows: &[QueryResult], columns: u32) -> Result<Vec<ColumnLoad>, RepoError> {
    let mut loads: Vec<ColumnLoad> = Vec::new();
    for row in rows {
        let card = card_ref(row)?;
        if let Some(load) = loads.last_mut().filter(|load| load.cards[0].column_id == card.column_id) {
            load.cards.push(card);
        } else if loads.len() == columns as usize {
            break;
        } else {
            let count = row.try_get::<i64>("", "in_column").repo()?.unsigned_abs();
            loads.push(ColumnLoad { count, cards: vec![card] });
        }
    }
    Ok(loads)
}
