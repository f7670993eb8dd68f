//! Notes: `notes`, their tags (`note_tags`) and the full-text index over title and body.
//!
//! - Tags are rows of `note_tags (note_id, tag)`, so that "notes tagged x" is an index lookup
//!   (`note_tags_tag`) on both backends, with no JSON or array operators.
//! - `seq` is an integer key of the row (the primary key): SQLite's FTS5 external-content table
//!   addresses rows by an integer rowid, and only an `INTEGER PRIMARY KEY` rowid is stable
//!   across `VACUUM`. The public id stays `id` (UUIDv7, unique).
//! - PostgreSQL: a generated, stored `search` tsvector (title weighted A, body B) with a GIN
//!   index; the database keeps it current.
//! - SQLite: an FTS5 table `notes_fts (title, body)` over `notes` (`content_rowid = seq`), kept
//!   in step by three triggers. The tokenizer keeps diacritics, as PostgreSQL's `simple`
//!   configuration does, so both backends match the same words.
//! - A note dies with its board (like everything on a board); a deleted card only detaches
//!   its notes. Authorship references users without cascade (users are disabled, never
//!   deleted).

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE notes (
        seq {serial_pk},
        id UUID NOT NULL UNIQUE,
        owner_id UUID NOT NULL REFERENCES users (id),
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        pinned BOOLEAN NOT NULL,
        archived BOOLEAN NOT NULL,
        board_id UUID REFERENCES boards (id) ON DELETE CASCADE,
        card_id UUID REFERENCES cards (id) ON DELETE SET NULL,
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,{search_column}
        CHECK (card_id IS NULL OR board_id IS NOT NULL)
    );
    CREATE INDEX notes_owner_personal ON notes (owner_id, id) WHERE board_id IS NULL;
    CREATE INDEX notes_board ON notes (board_id, id);
    CREATE INDEX notes_card ON notes (card_id);
    CREATE TABLE note_tags (
        note_id UUID NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (note_id, tag)
    );
    CREATE INDEX note_tags_tag ON note_tags (tag, note_id)
";

/// The PostgreSQL search column, appended to `notes`.
const PG_SEARCH_COLUMN: &str = "
        search tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
        ) STORED,";

const PG_SEARCH_INDEX: &str = "CREATE INDEX notes_search ON notes USING GIN (search)";

/// SQLite's index and its triggers. Trigger bodies hold `;`, so each statement runs whole.
const SQLITE_FTS: [&str; 4] = [
    "CREATE VIRTUAL TABLE notes_fts USING fts5(
        title, body, content = 'notes', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 0'
    )",
    "CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
        INSERT INTO notes_fts (rowid, title, body) VALUES (new.seq, new.title, new.body);
    END",
    "CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
        INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
    END",
    "CREATE TRIGGER notes_fts_update AFTER UPDATE OF title, body ON notes BEGIN
        INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
        INSERT INTO notes_fts (rowid, title, body) VALUES (new.seq, new.title, new.body);
    END",
];

const DOWN: &str = "
    DROP TABLE note_tags;
    DROP TABLE notes
";

const SQLITE_DOWN: [&str; 4] = [
    "DROP TRIGGER notes_fts_update",
    "DROP TRIGGER notes_fts_delete",
    "DROP TRIGGER notes_fts_insert",
    "DROP TABLE notes_fts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = script::is_postgres(manager);
        let search_column = if postgres { PG_SEARCH_COLUMN } else { "" };
        script::run(manager, &UP.replace("{search_column}", search_column)).await?;
        let conn = manager.get_connection();
        if postgres {
            conn.execute_unprepared(PG_SEARCH_INDEX).await?;
        } else {
            for statement in SQLITE_FTS {
                conn.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if !script::is_postgres(manager) {
            for statement in SQLITE_DOWN {
                manager.get_connection().execute_unprepared(statement).await?;
            }
        }
        script::run(manager, DOWN).await
    }
}
