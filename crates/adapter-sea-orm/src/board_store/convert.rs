//! Rows into domain values and back. A stored row that does not parse is a broken invariant,
//! not bad input.

use std::fmt::Display;

use board::{
    Board, BoardName, BoardRole, Card, CardTitle, Color, Column, ColumnName, Comment, CommentBody, Description, Label,
    LabelName, Member, Rank, WipLimit,
};
use kernel::{BoardId, CardId, ColumnId, CommentId, LabelId, RepoError, UserId, Version};

use crate::entity::{board as boards, board_column, board_member, card, card_comment, label};

fn corrupt<E: Display>(what: &'static str) -> impl FnOnce(E) -> RepoError {
    move |e| RepoError::Unexpected(anyhow::anyhow!("stored {what} does not parse: {e}"))
}

pub(super) fn rank(raw: &str) -> Result<Rank, RepoError> {
    Rank::parse(raw).map_err(corrupt("rank"))
}

pub(super) fn board_from_row(row: &boards::Model) -> Result<Board, RepoError> {
    Ok(Board {
        id: BoardId::from_uuid(row.id),
        name: BoardName::parse(&row.name).map_err(corrupt("board name"))?,
        description: Description::parse(&row.description).map_err(corrupt("board description"))?,
        owner_id: UserId::from_uuid(row.owner_id),
        archived: row.archived,
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn board_to_row(b: &Board) -> boards::Model {
    boards::Model {
        id: b.id.as_uuid(),
        name: b.name.as_str().to_owned(),
        description: b.description.as_str().to_owned(),
        owner_id: b.owner_id.as_uuid(),
        archived: b.archived,
        version: b.version.get(),
        created_at: b.created_at,
        updated_at: b.updated_at,
    }
}

pub(super) fn role_from_text(role: &str) -> Result<BoardRole, RepoError> {
    BoardRole::parse(role).map_err(corrupt("board role"))
}

pub(super) fn member_from_row(row: &board_member::Model) -> Result<Member, RepoError> {
    Ok(Member {
        board_id: BoardId::from_uuid(row.board_id),
        user_id: UserId::from_uuid(row.user_id),
        role: role_from_text(&row.role)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn member_to_row(m: &Member) -> board_member::Model {
    board_member::Model {
        board_id: m.board_id.as_uuid(),
        user_id: m.user_id.as_uuid(),
        role: m.role.as_str().to_owned(),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(super) fn column_from_row(row: &board_column::Model) -> Result<Column, RepoError> {
    Ok(Column {
        id: ColumnId::from_uuid(row.id),
        board_id: BoardId::from_uuid(row.board_id),
        name: ColumnName::parse(&row.name).map_err(corrupt("column name"))?,
        rank: rank(&row.rank)?,
        wip_limit: row.wip_limit.map(|w| WipLimit::parse(i64::from(w)).map_err(corrupt("WIP limit"))).transpose()?,
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn column_to_row(c: &Column) -> board_column::Model {
    board_column::Model {
        id: c.id.as_uuid(),
        board_id: c.board_id.as_uuid(),
        name: c.name.as_str().to_owned(),
        rank: c.rank.as_str().to_owned(),
        // WIP limits are at most 1000, far inside i32.
        wip_limit: c.wip_limit.map(|w| i32::try_from(w.get()).unwrap_or(i32::MAX)),
        version: c.version.get(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// A card from its row; labels and assignees come from their own tables.
pub(super) fn card_from_row(
    row: &card::Model,
    labels: Vec<LabelId>,
    assignees: Vec<UserId>,
) -> Result<Card, RepoError> {
    Ok(Card {
        id: CardId::from_uuid(row.id),
        board_id: BoardId::from_uuid(row.board_id),
        column_id: ColumnId::from_uuid(row.column_id),
        title: CardTitle::parse(&row.title).map_err(corrupt("card title"))?,
        description: Description::parse(&row.description).map_err(corrupt("card description"))?,
        rank: rank(&row.rank)?,
        labels,
        assignees,
        due_at: row.due_at,
        archived: row.archived,
        version: Version::new(row.version),
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn card_to_row(c: &Card) -> card::Model {
    card::Model {
        id: c.id.as_uuid(),
        board_id: c.board_id.as_uuid(),
        column_id: c.column_id.as_uuid(),
        title: c.title.as_str().to_owned(),
        description: c.description.as_str().to_owned(),
        rank: c.rank.as_str().to_owned(),
        due_at: c.due_at,
        archived: c.archived,
        version: c.version.get(),
        created_by: c.created_by.as_uuid(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

pub(super) fn label_from_row(row: &label::Model) -> Result<Label, RepoError> {
    Ok(Label {
        id: LabelId::from_uuid(row.id),
        board_id: BoardId::from_uuid(row.board_id),
        name: LabelName::parse(&row.name).map_err(corrupt("label name"))?,
        color: Color::parse(&row.color).map_err(corrupt("label colour"))?,
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn label_to_row(l: &Label) -> label::Model {
    label::Model {
        id: l.id.as_uuid(),
        board_id: l.board_id.as_uuid(),
        name: l.name.as_str().to_owned(),
        color: l.color.as_str().to_owned(),
        version: l.version.get(),
        created_at: l.created_at,
        updated_at: l.updated_at,
    }
}

pub(super) fn comment_from_row(row: &card_comment::Model) -> Result<Comment, RepoError> {
    Ok(Comment {
        id: CommentId::from_uuid(row.id),
        card_id: CardId::from_uuid(row.card_id),
        board_id: BoardId::from_uuid(row.board_id),
        author_id: UserId::from_uuid(row.author_id),
        body: CommentBody::parse(&row.body).map_err(corrupt("comment body"))?,
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn comment_to_row(c: &Comment) -> card_comment::Model {
    card_comment::Model {
        id: c.id.as_uuid(),
        card_id: c.card_id.as_uuid(),
        board_id: c.board_id.as_uuid(),
        author_id: c.author_id.as_uuid(),
        body: c.body.as_str().to_owned(),
        version: c.version.get(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}
