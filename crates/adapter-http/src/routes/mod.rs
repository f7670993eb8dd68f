//! The routes, one module per area. Each module's `router()` registers its handlers with
//! their OpenAPI annotations.

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod board_dto;
pub(crate) mod boards;
pub(crate) mod cards;
pub(crate) mod columns;
pub(crate) mod comments;
pub(crate) mod dashboard;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod labels;
pub(crate) mod me;
pub(crate) mod notes;
pub(crate) mod notifications;
pub(crate) mod reminders;
pub(crate) mod users;
pub(crate) mod webhooks;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Everything under `/api/v1`.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(audit::router())
        .merge(auth::router())
        .merge(me::router())
        .merge(users::router())
        .merge(boards::router())
        .merge(columns::router())
        .merge(cards::router())
        .merge(labels::router())
        .merge(comments::router())
        .merge(notes::router())
        .merge(reminders::router())
        .merge(notifications::router())
        .merge(dashboard::router())
        .merge(events::router())
        .merge(webhooks::router())
}
