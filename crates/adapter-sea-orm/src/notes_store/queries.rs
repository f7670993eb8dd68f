//! Reads and writes of notes and their tags, generic over the connection.

use std::collections::HashMap;
use std::fmt::Display;

use kernel::{BoardId, CardId, NoteId, RepoError, UserId, Version};
use notes::{Note, NoteBody, NoteRole, NoteTitle, Tags};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel as _,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{board_member, card, note, note_tag};
use crate::error::RepoResult;

fn corrupt<E: Display>(what: &'static str) -> impl FnOnce(E) -> RepoError {
    move |e| RepoError::Unexpected(anyhow::anyhow!("stored {what} does not parse: {e}"))
}

fn from_row(row: &note::Model, tags: &[String]) -> Result<Note, RepoError> {
    Ok(Note {
        id: NoteId::from_uuid(row.id),
        owner_id: UserId::from_uuid(row.owner_id),
        title: NoteTitle::parse(&row.title).map_err(corrupt("note title"))?,
        body: NoteBody::parse(&row.body).map_err(corrupt("note body"))?,
        tags: Tags::from_stored(tags).map_err(corrupt("note tags"))?,
        pinned: row.pinned,
        archived: row.archived,
        board_id: row.board_id.map(BoardId::from_uuid),
        card_id: row.card_id.map(CardId::from_uuid),
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_row(n: &Note) -> note::Model {
    note::Model {
        id: n.id.as_uuid(),
        owner_id: n.owner_id.as_uuid(),
        title: n.title.as_str().to_owned(),
        body: n.body.as_str().to_owned(),
        pinned: n.pinned,
        archived: n.archived,
        board_id: n.board_id.map(|b| b.as_uuid()),
        card_id: n.card_id.map(|c| c.as_uuid()),
        version: n.version.get(),
        created_at: n.created_at,
        updated_at: n.updated_at,
    }
}

pub(super) async fn get<C: ConnectionTrait>(conn: &C, id: NoteId) -> Result<Note, RepoError> {
    load(conn, &[id.as_uuid()]).await?.pop().ok_or(RepoError::NotFound)
}

/// The notes with these ids, in the order given (ids that name nothing are skipped), in two
/// queries whatever their number: the rows, then all their tags.
pub(super) async fn load<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> Result<Vec<Note>, RepoError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = note::Entity::find().filter(note::Column::Id.is_in(ids.iter().copied())).all(conn).await.repo()?;
    let tag_rows = note_tag::Entity::find()
        .filter(note_tag::Column::NoteId.is_in(ids.iter().copied()))
        .order_by_asc(note_tag::Column::Tag)
        .all(conn)
        .await
        .repo()?;
    let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
    for t in tag_rows {
        tags.entry(t.note_id).or_default().push(t.tag);
    }
    let mut rows: HashMap<Uuid, note::Model> = rows.into_iter().map(|r| (r.id, r)).collect();
    ids.iter()
        .filter_map(|id| rows.remove(id))
        .map(|row| {
            let tags = tags.remove(&row.id).unwrap_or_default();
            from_row(&row, &tags)
        })
        .collect()
}

pub(super) async fn insert<C: ConnectionTrait>(conn: &C, n: &Note) -> Result<(), RepoError> {
    note::Entity::insert(to_row(n).into_active_model()).exec_without_returning(conn).await.repo()?;
    insert_tags(conn, n).await
}

pub(super) async fn update<C: ConnectionTrait>(conn: &C, n: &Note, expected: Version) -> Result<(), RepoError> {
    let mut row = to_row(n).into_active_model().reset_all();
    row.id = NotSet;
    row.owner_id = NotSet;
    row.created_at = NotSet;
    let result = note::Entity::update_many()
        .set(row)
        .filter(note::Column::Id.eq(n.id.as_uuid()))
        .filter(note::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned(conn, result.rows_affected, n.id).await?;
    note_tag::Entity::delete_many().filter(note_tag::Column::NoteId.eq(n.id.as_uuid())).exec(conn).await.repo()?;
    insert_tags(conn, n).await
}

pub(super) async fn delete<C: ConnectionTrait>(conn: &C, id: NoteId, expected: Version) -> Result<(), RepoError> {
    // Tags go by cascade.
    let result = note::Entity::delete_many()
        .filter(note::Column::Id.eq(id.as_uuid()))
        .filter(note::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned(conn, result.rows_affected, id).await
}

async fn insert_tags<C: ConnectionTrait>(conn: &C, n: &Note) -> Result<(), RepoError> {
    let rows: Vec<note_tag::ActiveModel> = n
        .tags
        .as_slice()
        .iter()
        .map(|t| note_tag::Model { note_id: n.id.as_uuid(), tag: t.as_str().to_owned() }.into_active_model())
        .collect();
    if !rows.is_empty() {
        note_tag::Entity::insert_many(rows).exec_without_returning(conn).await.repo()?;
    }
    Ok(())
}

/// Nothing touched by `… WHERE id = ? AND version = ?`: the note is gone (`NotFound`) or its
/// version moved on (`Conflict`).
async fn versioned<C: ConnectionTrait>(conn: &C, rows_affected: u64, id: NoteId) -> Result<(), RepoError> {
    if rows_affected > 0 {
        return Ok(());
    }
    let exists = note::Entity::find_by_id(id.as_uuid()).select_only().column(note::Column::Id).into_tuple::<Uuid>();
    match exists.one(conn).await.repo()? {
        Some(_) => Err(RepoError::Conflict("stale version".into())),
        None => Err(RepoError::NotFound),
    }
}

pub(super) async fn role_of<C: ConnectionTrait>(
    conn: &C,
    board: BoardId,
    user: UserId,
) -> Result<Option<NoteRole>, RepoError> {
    let role: Option<String> = board_member::Entity::find()
        .select_only()
        .column(board_member::Column::Role)
        .filter(board_member::Column::BoardId.eq(board.as_uuid()))
        .filter(board_member::Column::UserId.eq(user.as_uuid()))
        .into_tuple()
        .one(conn)
        .await
        .repo()?;
    role.map(|r| match r.as_str() {
        "owner" => Ok(NoteRole::Owner),
        "editor" => Ok(NoteRole::Editor),
        "viewer" => Ok(NoteRole::Viewer),
        other => Err(corrupt("board role")(other)),
    })
    .transpose()
}

pub(super) async fn card_board<C: ConnectionTrait>(conn: &C, card: CardId) -> Result<Option<BoardId>, RepoError> {
    let board: Option<Uuid> = card::Entity::find_by_id(card.as_uuid())
        .select_only()
        .column(card::Column::BoardId)
        .into_tuple()
        .one(conn)
        .await
        .repo()?;
    Ok(board.map(BoardId::from_uuid))
}
