//! `GET /`: the signed-in user's dashboard page, rendered from the same [`dashboard::Dashboard`]
//! as `GET /api/v1/dashboard` (read afresh: the page is not cached).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dashboard::{CardBrief, DUE_WITHIN_DAYS};
use identity::Scope;
use maud::{Markup, html};

use super::form::PageUser;
use super::layout::{self, when};
use super::{PageError, html};
use crate::state::AppState;

/// Cards, each with its board and column.
fn cards(cards: &[CardBrief], overdue: bool) -> Markup {
    html! {
        ul {
            @for card in cards {
                li {
                    (card.title)
                    " · " span .board { (card.board_name) " / " (card.column_name) }
                    @if let Some(at) = card.due_at {
                        " · due " (when(at))
                        @if overdue { " " span .tag.overdue { "overdue" } }
                    }
                }
            }
        }
    }
}

/// The dashboard page.
pub(crate) async fn page(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    // A session may do everything a scope allows; asking keeps the page honest if that changes.
    let caller = user.0.require(Scope::BoardsRead)?;
    let d = s.dashboard.compute(caller).await?;
    let viewer = user.viewer();
    let content = html! {
        h1 { "Hello, " (viewer.name) }
        section #boards {
            h2 { "Your boards" }
            @if d.boards.recent.is_empty() {
                p .empty { "You are not a member of any open board yet." }
            } @else {
                ul {
                    @for b in &d.boards.recent {
                        li { (b.name) " · changed " (when(b.last_activity_at)) }
                    }
                }
                @if d.boards.count > d.boards.recent.len() as u64 {
                    p .more { "The most recently changed of your " (d.boards.count) " boards." }
                }
            }
        }
        section #my-cards {
            h2 { "Your cards" }
            @if d.my_cards.is_empty() {
                p .empty { "No open card is assigned to you." }
            } @else {
                ul {
                    @for column in &d.my_cards {
                        li { (column.board_name) " / " (column.column_name) ": " (column.count) }
                    }
                }
            }
        }
        section #due {
            h2 { "Cards due in the next " (DUE_WITHIN_DAYS) " days" }
            @if d.overdue.is_empty() && d.due_soon.is_empty() {
                p .empty { "Nothing is due." }
            } @else {
                (cards(&d.overdue, true))
                (cards(&d.due_soon, false))
            }
        }
        section #reminders {
            h2 { "Next reminders" }
            @if d.reminders.is_empty() {
                p .empty { "No reminder is scheduled." }
            } @else {
                ul {
                    @for r in &d.reminders {
                        li {
                            (r.title)
                            @if let Some(at) = r.next_fire_at { " · " (when(at)) }
                            " " span .tz { "(" (r.timezone) ")" }
                        }
                    }
                }
            }
        }
        section #notes {
            h2 { "Pinned notes" }
            @if d.pinned_notes.is_empty() {
                p .empty { "No pinned note." }
            } @else {
                ul { @for n in &d.pinned_notes { li { (n.title) } } }
            }
        }
        section #notifications {
            h2 { "Notifications" }
            p { (d.notifications.unread) " unread" }
            ul { @for n in &d.notifications.latest { li { (n.title) " · " (when(n.created_at)) } } }
        }
    };
    Ok(html(StatusCode::OK, layout::signed_in("Dashboard", &viewer, &content)))
}
