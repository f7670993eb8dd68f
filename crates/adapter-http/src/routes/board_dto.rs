//! What the board routes answer with, and the small helpers they share: parsing DTO fields into
//! the domain's value types (a refusal names the field), telling an absent field from `null`,
//! and responses carrying `ETag` and `Location`.
//!
//! Text limits repeat the domain's value types (`board::model::values`) so that the served API
//! document states what the server enforces. One-line names are refused when blank or when they
//! hold a control character; the patterns below say so in that document:
//! - one line, not blank: `^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$`
//!   (no `Cc` character anywhere, and at least one character that is neither `Cc` nor Unicode
//!   `White_Space`, the set Rust's `trim` removes);
//! - not blank (markdown): `[^\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]`.

use std::collections::HashMap;
use std::fmt::Display;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use board::{Board, BoardRole, BoardView, Card, Column, Comment, Label, Member};
use chrono::{DateTime, Utc};
use kernel::{ColumnId, Version};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::etag;

/// The most labels or assignees a card carries, and the most ids a request may name at once.
pub(crate) const MAX_CARD_REFS: usize = 50;

/// Parses one field with a domain value type; a refusal is a 422 naming `field`.
pub(crate) fn field<T, E: Display>(name: &'static str, parsed: Result<T, E>) -> Result<T, ApiError> {
    parsed.map_err(|e| ApiError::invalid_field(name, e.to_string()))
}

/// A field of a partial update where `null` means something: absent leaves the value as it
/// is, `null` clears it, a value sets it. Use with `#[serde(default)]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Nullable<T> {
    /// The field was not sent.
    #[default]
    Absent,
    /// The field was sent as `null`.
    Null,
    /// The field was sent with a value.
    Set(T),
}

impl<T> Nullable<T> {
    /// Whether the field was sent at all.
    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, Self::Absent)
    }

    /// The value, if one was sent.
    pub(crate) fn value(self) -> Option<T> {
        match self {
            Self::Set(v) => Some(v),
            Self::Absent | Self::Null => None,
        }
    }

    /// Parses the value, if one was sent.
    pub(crate) fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Nullable<U>, E> {
        Ok(match self {
            Self::Absent => Nullable::Absent,
            Self::Null => Nullable::Null,
            Self::Set(v) => Nullable::Set(f(v)?),
        })
    }
}

/// The domain's "leave / clear / set" shape.
impl<T> From<Nullable<T>> for Option<Option<T>> {
    fn from(field: Nullable<T>) -> Self {
        match field {
            Nullable::Absent => None,
            Nullable::Null => Some(None),
            Nullable::Set(v) => Some(Some(v)),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only called when the field is present; `#[serde(default)]` covers its absence.
        Option::<T>::deserialize(deserializer).map(|v| v.map_or(Self::Null, Self::Set))
    }
}

/// An integer in a JSON body, also when written with a zero fraction (`3.0`): JSON Schema's
/// `integer` includes such numbers, and some encoders write every number so. Any other fraction,
/// or a value beyond `i64`, is refused as the wrong type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WholeNumber(pub i64);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Whole;
        impl serde::de::Visitor<'_> for Whole {
            type Value = WholeNumber;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<WholeNumber, E> {
                Ok(WholeNumber(v))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<WholeNumber, E> {
                i64::try_from(v)
                    .map(WholeNumber)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }

            #[expect(clippy::cast_possible_truncation, reason = "whole and within i64's range, checked first")]
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<WholeNumber, E> {
                // 2^63 is exactly representable; every whole f64 below it and from -2^63 fits.
                const LIMIT: f64 = 9_223_372_036_854_775_808.0;
                if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
                    Ok(WholeNumber(v as i64))
                } else {
                    Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(Whole)
    }
}

/// A resource with its `ETag`.
pub(crate) fn tagged<T: Serialize>(status: StatusCode, version: Version, body: T) -> Response {
    (status, [(header::ETAG, etag(version))], axum::Json(body)).into_response()
}

/// A resource just created: 201 with its `ETag` and `Location`.
pub(crate) fn created<T: Serialize>(location: &str, version: Option<Version>, body: T) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Some(version) = version {
        response.headers_mut().insert(header::ETAG, etag(version));
    }
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// What a member may do on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BoardRole)]
pub(crate) enum RoleDto {
    /// Everything an editor does, plus managing members and deleting the board.
    Owner,
    /// Reads and changes columns, cards, labels and comments.
    Editor,
    /// Reads the board.
    Viewer,
}

impl From<RoleDto> for BoardRole {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Owner => Self::Owner,
            RoleDto::Editor => Self::Editor,
            RoleDto::Viewer => Self::Viewer,
        }
    }
}

impl From<BoardRole> for RoleDto {
    fn from(role: BoardRole) -> Self {
        match role {
            BoardRole::Owner => Self::Owner,
            BoardRole::Editor => Self::Editor,
            BoardRole::Viewer => Self::Viewer,
        }
    }
}

/// A board (without its content; `GET /boards/{board_id}` adds it).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BoardOut {
    id: Uuid,
    name: String,
    /// Markdown.
    description: String,
    /// The board's principal owner (rights come from the members' roles).
    owner_id: Uuid,
    archived: bool,
    /// Grows by one on every change; the `ETag`.
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Board> for BoardOut {
    fn from(b: &Board) -> Self {
        Self {
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
}

/// A member of a board.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MemberOut {
    /// The member's id in URLs (`/boards/{board_id}/members/{user_id}`): the user's id.
    id: Uuid,
    user_id: Uuid,
    board_id: Uuid,
    role: RoleDto,
    /// When the user joined.
    created_at: DateTime<Utc>,
    /// When the role last changed.
    updated_at: DateTime<Utc>,
}

impl From<&Member> for MemberOut {
    fn from(m: &Member) -> Self {
        Self {
            id: m.user_id.as_uuid(),
            user_id: m.user_id.as_uuid(),
            board_id: m.board_id.as_uuid(),
            role: m.role.into(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A column of a board.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ColumnOut {
    id: Uuid,
    board_id: Uuid,
    name: String,
    /// An opaque key: the board's columns sort by comparing it byte by byte.
    position: String,
    /// How many open (non-archived) cards it may hold; `null` for no limit.
    #[schema(minimum = 1, maximum = 1000)]
    wip_limit: Option<u32>,
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Column> for ColumnOut {
    fn from(c: &Column) -> Self {
        Self {
            id: c.id.as_uuid(),
            board_id: c.board_id.as_uuid(),
            name: c.name.as_str().to_owned(),
            position: c.rank.as_str().to_owned(),
            wip_limit: c.wip_limit.map(board::WipLimit::get),
            version: c.version.get(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A card.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CardOut {
    id: Uuid,
    board_id: Uuid,
    column_id: Uuid,
    title: String,
    /// Markdown.
    description: String,
    /// An opaque key: a column's cards sort by comparing it byte by byte.
    position: String,
    /// Ids of the board's labels on it, sorted.
    #[schema(max_items = 50)]
    labels: Vec<Uuid>,
    /// Ids of the members it is assigned to, sorted.
    #[schema(max_items = 50)]
    assignees: Vec<Uuid>,
    due_at: Option<DateTime<Utc>>,
    /// Archived cards stay in their column but do not count towards its WIP limit.
    archived: bool,
    #[schema(minimum = 1)]
    version: i64,
    /// Who created it.
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Card> for CardOut {
    fn from(c: &Card) -> Self {
        Self {
            id: c.id.as_uuid(),
            board_id: c.board_id.as_uuid(),
            column_id: c.column_id.as_uuid(),
            title: c.title.as_str().to_owned(),
            description: c.description.as_str().to_owned(),
            position: c.rank.as_str().to_owned(),
            labels: c.labels.iter().map(kernel::LabelId::as_uuid).collect(),
            assignees: c.assignees.iter().map(kernel::UserId::as_uuid).collect(),
            due_at: c.due_at,
            archived: c.archived,
            version: c.version.get(),
            created_by: c.created_by.as_uuid(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A board-scoped label.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LabelOut {
    id: Uuid,
    board_id: Uuid,
    name: String,
    /// `#rrggbb`, lower case.
    #[schema(pattern = "^#[0-9a-f]{6}$")]
    color: String,
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Label> for LabelOut {
    fn from(l: &Label) -> Self {
        Self {
            id: l.id.as_uuid(),
            board_id: l.board_id.as_uuid(),
            name: l.name.as_str().to_owned(),
            color: l.color.as_str().to_owned(),
            version: l.version.get(),
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// A comment on a card.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CommentOut {
    id: Uuid,
    card_id: Uuid,
    board_id: Uuid,
    /// Who wrote it.
    author_id: Uuid,
    /// Markdown.
    body: String,
    #[schema(minimum = 1)]
    version: i64,
    /// When it was written.
    created_at: DateTime<Utc>,
    /// When it was last edited.
    updated_at: DateTime<Utc>,
}

impl From<&Comment> for CommentOut {
    fn from(c: &Comment) -> Self {
        Self {
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
}

/// A column with its open cards, in order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ColumnWithCardsOut {
    #[serde(flatten)]
    column: ColumnOut,
    /// Its open (non-archived) cards, in order.
    cards: Vec<CardOut>,
}

/// A whole board in one response: the board, its members and labels, and its columns in order
/// with their open cards in order.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BoardViewOut {
    #[serde(flatten)]
    board: BoardOut,
    /// Its members, by user id.
    members: Vec<MemberOut>,
    /// Its labels, by id.
    labels: Vec<LabelOut>,
    /// Its columns, in order.
    columns: Vec<ColumnWithCardsOut>,
}

impl From<&BoardView> for BoardViewOut {
    fn from(view: &BoardView) -> Self {
        let mut cards: HashMap<ColumnId, Vec<CardOut>> = HashMap::with_capacity(view.columns.len());
        for card in &view.cards {
            cards.entry(card.column_id).or_default().push(CardOut::from(card));
        }
        Self {
            board: BoardOut::from(&view.board),
            members: view.members.iter().map(MemberOut::from).collect(),
            labels: view.labels.iter().map(LabelOut::from).collect(),
            columns: view
                .columns
                .iter()
                .map(|c| ColumnWithCardsOut {
                    column: ColumnOut::from(c),
                    cards: cards.remove(&c.id).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Patch {
        #[serde(default)]
        limit: Nullable<u32>,
    }

    #[test]
    fn absent_null_and_a_value_are_told_apart() {
        let parse = |json: &str| serde_json::from_str::<Patch>(json).map(|p| p.limit).ok();
        assert_eq!(parse("{}"), Some(Nullable::Absent));
        assert_eq!(parse(r#"{"limit": null}"#), Some(Nullable::Null));
        assert_eq!(parse(r#"{"limit": 3}"#), Some(Nullable::Set(3)));
        assert_eq!(parse(r#"{"limit": "x"}"#), None);
    }

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction_and_nothing_else() {
        let parse = |json: &str| serde_json::from_str::<WholeNumber>(json).map(|n| n.0).ok();
        assert_eq!(parse("3"), Some(3));
        assert_eq!(parse("-3"), Some(-3));
        assert_eq!(parse("3.0"), Some(3));
        assert_eq!(parse("3e2"), Some(300));
        assert_eq!(parse("-0.0"), Some(0));
        assert_eq!(parse("9.2e18"), Some(9_200_000_000_000_000_000));
        assert_eq!(parse("-9.3e18"), None);
        assert_eq!(parse("3.5"), None);
        assert_eq!(parse("1e19"), None);
        assert_eq!(parse("18446744073709551615"), None);
        assert_eq!(parse("\"3\""), None);
        assert_eq!(parse("null"), None);
    }

    #[test]
    fn nullable_fields_become_the_domains_leave_clear_or_set() {
        assert_eq!(Option::<Option<u32>>::from(Nullable::Absent), None);
        assert_eq!(Option::<Option<u32>>::from(Nullable::Null), Some(None));
        assert_eq!(Option::<Option<u32>>::from(Nullable::Set(2)), Some(Some(2)));
    }
}
