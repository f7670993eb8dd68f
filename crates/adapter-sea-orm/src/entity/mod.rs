//! SeaORM entities, one module per table. They never leave this crate: repositories convert
//! them into domain types.
//!
//! SeaORM's derives generate `pub` items that name `Model`, so entity types are `pub` inside
//! these crate-private modules.
#![allow(unreachable_pub)]

pub(crate) mod access_token;
pub(crate) mod audit_event;
pub(crate) mod audit_seal;
pub(crate) mod board;
pub(crate) mod board_column;
pub(crate) mod board_member;
pub(crate) mod board_revision;
pub(crate) mod card;
pub(crate) mod card_assignee;
pub(crate) mod card_comment;
pub(crate) mod card_label;
pub(crate) mod label;
pub(crate) mod note;
pub(crate) mod note_tag;
pub(crate) mod notification;
pub(crate) mod reminder;
pub(crate) mod reminder_occurrence;
pub(crate) mod session;
pub(crate) mod sso_login;
pub(crate) mod user;
pub(crate) mod user_identity;
pub(crate) mod webhook;
pub(crate) mod webhook_attempt;
pub(crate) mod webhook_delivery;
