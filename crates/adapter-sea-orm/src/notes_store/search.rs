//! Listing and searching notes: one statement per page that picks the ids (filters, visibility,
//! order, page), written once for both dialects with bound parameters only, then
//! [`super::queries::load`] for the rows and their tags.

use kernel::{NoteId, RepoError, UserId};
use notes::{Note, NoteFilter};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use super::queries::load;
use crate::error::RepoResult;

/// A statement under construction: text and its parameters, in order.
struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DatabaseBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value` (`$n` on PostgreSQL, `?` on SQLite, which binds in
    /// order of appearance: callers append text strictly left to right).
    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.backend == DatabaseBackend::Postgres {
            self.text.push('$');
            self.text.push_str(&self.values.len().to_string());
        } else {
            self.text.push('?');
        }
        self
    }

    fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }

    /// `AND …` for visibility and every filter but `q`.
    fn filters(&mut self, viewer: UserId, filter: &NoteFilter) {
        let viewer = viewer.as_uuid();
        self.push(" AND ((n.board_id IS NULL AND n.owner_id = ").bind(viewer);
        self.push(") OR n.board_id IN (SELECT m.board_id FROM board_members m WHERE m.user_id = ").bind(viewer);
        self.push("))");
        self.push(" AND n.archived = ").bind(filter.archived);
        if let Some(tag) = &filter.tag {
            self.push(" AND EXISTS (SELECT 1 FROM note_tags t WHERE t.note_id = n.id AND t.tag = ")
                .bind(tag.as_str().to_owned())
                .push(")");
        }
        if let Some(board) = filter.board_id {
            self.push(" AND n.board_id = ").bind(board.as_uuid());
        }
        if let Some(pinned) = filter.pinned {
            self.push(" AND n.pinned = ").bind(pinned);
        }
        if let Some(after) = filter.updated_after {
            self.push(" AND n.updated_at >= ").bind(after);
        }
        if let Some(before) = filter.updated_before {
            self.push(" AND n.updated_at < ").bind(before);
        }
    }
}

async fn ids<C: ConnectionTrait>(conn: &C, statement: Statement) -> Result<Vec<Uuid>, RepoError> {
    let rows = conn.query_all(statement).await.repo()?;
    rows.iter().map(|row| row.try_get::<Uuid>("", "id").repo()).collect()
}

/// Newest first, after `after`.
pub(super) async fn list<C: ConnectionTrait>(
    conn: &C,
    viewer: UserId,
    filter: &NoteFilter,
    after: Option<NoteId>,
    limit: u32,
) -> Result<Vec<Note>, RepoError> {
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("SELECT n.id AS id FROM notes n WHERE 1 = 1");
    sql.filters(viewer, filter);
    if let Some(after) = after {
        sql.push(" AND n.id < ").bind(after.as_uuid());
    }
    sql.push(" ORDER BY n.id DESC LIMIT ").bind(i64::from(limit));
    let ids = ids(conn, sql.build()).await?;
    load(conn, &ids).await
}

/// Best first: notes whose title holds every term, then the rest; within each, the backend's
/// relevance (`ts_rank` on PostgreSQL, `bm25` with the title weighted ten times the body on
/// SQLite); ties by id, newest first.
pub(super) async fn search<C: ConnectionTrait>(
    conn: &C,
    viewer: UserId,
    filter: &NoteFilter,
    terms: &[String],
    offset: u32,
    limit: u32,
) -> Result<Vec<Note>, RepoError> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    if backend == DatabaseBackend::Postgres {
        // The terms are words (letters and digits only); websearch_to_tsquery never fails on
        // any input, and joined by spaces they all must match, as on SQLite.
        sql.push("SELECT n.id AS id FROM notes n, websearch_to_tsquery('simple', ")
            .bind(terms.join(" "))
            .push(") query WHERE n.search @@ query");
        sql.filters(viewer, filter);
        sql.push(" ORDER BY (to_tsvector('simple', n.title) @@ query) DESC, ts_rank(n.search, query) DESC, n.id DESC");
    } else {
        sql.push("SELECT n.id AS id FROM notes_fts JOIN notes n ON n.seq = notes_fts.rowid WHERE notes_fts MATCH ")
            .bind(fts5_query(terms, None));
        sql.filters(viewer, filter);
        sql.push(" ORDER BY n.seq IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ")
            .bind(fts5_query(terms, Some("title")))
            .push(") DESC, bm25(notes_fts, 10.0, 1.0) ASC, n.id DESC");
    }
    sql.push(" LIMIT ").bind(i64::from(limit)).push(" OFFSET ").bind(i64::from(offset));
    let ids = ids(conn, sql.build()).await?;
    load(conn, &ids).await
}

/// An FTS5 query matching every term, each a quoted string (inner quotes doubled) so that no
/// input is read as FTS5 syntax; optionally restricted to one column.
fn fts5_query(terms: &[String], column: Option<&str>) -> String {
    let prefix = column.map(|c| format!("{c} : ")).unwrap_or_default();
    terms.iter().map(|t| format!("{prefix}\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn fts5_terms_are_quoted_and_joined_by_and() {
        let terms = vec!["rust".to_owned(), "a\"b".to_owned()];
        assert_eq!(fts5_query(&terms, None), r#""rust" AND "a""b""#);
        assert_eq!(fts5_query(&terms[..1], Some("title")), r#"title : "rust""#);
    }
}
