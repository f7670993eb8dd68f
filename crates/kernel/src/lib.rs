//! The IO-free vocabulary shared by every Corkboard crate: typed ids, the `Clock`,
//! `IdGen` and `IdempotencyStore` ports, who is acting (`Actor`, `Caller`), keyset pages, domain events and the
//! error every port returns. It depends on no framework and no driver.

mod actor;
mod error;
mod event;
mod idempotency;
mod ids;
mod page;
mod rate_limit;
mod text;
mod time;
mod version;

pub use actor::{Actor, Caller, RequestMeta};
pub use error::RepoError;
pub use event::{Changes, DomainEvent};
pub use idempotency::{Claim, IdempotencyStore};
pub use ids::{
    BoardId, CardId, ColumnId, CommentId, DeliveryId, LabelId, NoteId, NotificationId, ReminderId, SessionId, TokenId,
    UserId, WebhookId,
};
pub use page::{Page, PageRequest};
pub use rate_limit::{Hits, RateLimiter, window_at};
pub use text::{TextError, TextRule};
pub use time::{Clock, IdGen, ManualClock, SequentialIds, SystemClock, UuidV7};
pub use version::Version;
