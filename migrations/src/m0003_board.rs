//! Boards: members, columns, cards, labels, card labels and assignees, comments.
//!
//! Integrity the database enforces, not just the service:
//! - a card's column, a card label's label, a comment's card all belong to the row's board
//!   (composite foreign keys on `(board_id, …)` against `UNIQUE (board_id, id)`);
//! - an assignee is a member of the card's board, and stops being one with the membership
//!   (`card_assignees (board_id, user_id)` references `board_members`);
//! - everything on a board dies with it (`ON DELETE CASCADE`); authorship (`owner_id`,
//!   `created_by`, `author_id`) references users without cascade: users are disabled, never
//!   deleted.
//!
//! Ranks compare byte by byte: `COLLATE "C"` on PostgreSQL (whose default collation would
//! interleave upper and lower case), SQLite's default `BINARY` elsewhere.

use sea_orm_migration::prelude::*;

use crate::script;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r"
    CREATE TABLE boards (
        id UUID PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        owner_id UUID NOT NULL REFERENCES users (id),
        archived BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE board_members (
        board_id UUID NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
        user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (board_id, user_id)
    );
    CREATE INDEX board_members_user ON board_members (user_id, board_id);
    CREATE TABLE board_columns (
        id UUID PRIMARY KEY,
        board_id UUID NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        rank {rank_type} NOT NULL,
        wip_limit INTEGER CHECK (wip_limit BETWEEN 1 AND 1000),
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT board_columns_board_id_key UNIQUE (board_id, id)
    );
    CREATE INDEX board_columns_rank ON board_columns (board_id, rank);
    CREATE TABLE cards (
        id UUID PRIMARY KEY,
        board_id UUID NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
        column_id UUID NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        rank {rank_type} NOT NULL,
        due_at TIMESTAMPTZ,
        archived BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        created_by UUID NOT NULL REFERENCES users (id),
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT cards_board_id_key UNIQUE (board_id, id),
        FOREIGN KEY (board_id, column_id) REFERENCES board_columns (board_id, id) ON DELETE CASCADE
    );
    CREATE INDEX cards_column_rank ON cards (column_id, rank);
    CREATE INDEX cards_board_column ON cards (board_id, column_id);
    CREATE INDEX cards_board_due ON cards (board_id, due_at);
    CREATE TABLE labels (
        id UUID PRIMARY KEY,
        board_id UUID NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        color TEXT NOT NULL,
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT labels_board_id_key UNIQUE (board_id, id)
    );
    CREATE TABLE card_labels (
        card_id UUID NOT NULL,
        label_id UUID NOT NULL,
        board_id UUID NOT NULL,
        PRIMARY KEY (card_id, label_id),
        FOREIGN KEY (board_id, card_id) REFERENCES cards (board_id, id) ON DELETE CASCADE,
        FOREIGN KEY (board_id, label_id) REFERENCES labels (board_id, id) ON DELETE CASCADE
    );
    CREATE INDEX card_labels_board ON card_labels (board_id, card_id);
    CREATE INDEX card_labels_label ON card_labels (board_id, label_id);
    CREATE TABLE card_assignees (
        card_id UUID NOT NULL,
        user_id UUID NOT NULL,
        board_id UUID NOT NULL,
        PRIMARY KEY (card_id, user_id),
        FOREIGN KEY (board_id, card_id) REFERENCES cards (board_id, id) ON DELETE CASCADE,
        FOREIGN KEY (board_id, user_id) REFERENCES board_members (board_id, user_id) ON DELETE CASCADE
    );
    CREATE INDEX card_assignees_user ON card_assignees (user_id, card_id);
    CREATE INDEX card_assignees_board ON card_assignees (board_id, user_id);
    CREATE TABLE card_comments (
        id UUID PRIMARY KEY,
        card_id UUID NOT NULL,
        board_id UUID NOT NULL,
        author_id UUID NOT NULL REFERENCES users (id),
        body TEXT NOT NULL,
        version BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        FOREIGN KEY (board_id, card_id) REFERENCES cards (board_id, id) ON DELETE CASCADE
    );
    CREATE INDEX card_comments_card ON card_comments (card_id, id);
    CREATE INDEX card_comments_board_card ON card_comments (board_id, card_id)
";

const DOWN: &str = "
    DROP TABLE card_comments;
    DROP TABLE card_assignees;
    DROP TABLE card_labels;
    DROP TABLE labels;
    DROP TABLE cards;
    DROP TABLE board_columns;
    DROP TABLE board_members;
    DROP TABLE boards
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rank_type = if script::is_postgres(manager) { r#"TEXT COLLATE "C""# } else { "TEXT" };
        script::run(manager, &UP.replace("{rank_type}", rank_type)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        script::run(manager, DOWN).await
    }
}
