//! Typed identifiers: a `CardId` cannot be passed where a `BoardId` is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID that is known to name this kind of thing.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    )+};
}

id_type!(
    /// A user account.
    UserId,
    /// A server-side browser session (the public handle, never the cookie secret).
    SessionId,
    /// A personal access token.
    TokenId,
    /// A kanban board.
    BoardId,
    /// A column of a board.
    ColumnId,
    /// A card on a board.
    CardId,
    /// A board-scoped label.
    LabelId,
    /// A comment on a card.
    CommentId,
    /// A note, personal or attached to a board.
    NoteId,
    /// A reminder.
    ReminderId,
    /// An in-app notification (a reminder that fired).
    NotificationId,
    /// A webhook subscription.
    WebhookId,
    /// One event's delivery to one webhook (its `webhook-id` header).
    DeliveryId,
);
