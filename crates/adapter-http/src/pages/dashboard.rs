//! `GET /`: the signed-in user's dashboard — their boards, cards due soon and next reminders.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use identity::Scope;
use kernel::{BoardId, PageRequest};
use maud::html;
use reminders::{ReminderFilter, ReminderStatus};

use super::form::PageUser;
use super::layout::{self, when};
use super::{PageError, html};
use crate::state::AppState;

/// How far ahead "due soon" looks.
const DUE_WITHIN_DAYS: i64 = 7;
/// How far ahead reminders are looked for, and how many are shown.
const REMINDERS_WITHIN_DAYS: i64 = 30;
const REMINDERS_SHOWN: usize = 10;
/// How many boards and due cards are listed (the API pages through the rest).
const BOARDS_SHOWN: u32 = 100;
const CARDS_SHOWN: u32 = 20;

/// The dashboard page.
pub(crate) async fn page(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    // A session may do everything a scope allows; asking keeps the page honest if that changes.
    let caller = user.0.require(Scope::BoardsRead)?;
    let boards = s.boards.list_boards(caller, PageRequest::new(Some(BOARDS_SHOWN), None)).await?;
    let due = s.boards.cards_due_soon(caller, chrono::Duration::days(DUE_WITHIN_DAYS), CARDS_SHOWN).await?;
    let now = Utc::now();
    let filter = ReminderFilter {
        status: Some(ReminderStatus::Scheduled),
        from: None,
        to: Some(now + chrono::Duration::days(REMINDERS_WITHIN_DAYS)),
    };
    // Listed by id; the soonest come first once sorted (a bounded page, so a bounded sort).
    let mut reminders =
        s.reminders.list(caller, filter, PageRequest::new(Some(PageRequest::MAX_LIMIT), None)).await?.items;
    reminders.sort_by_key(|r| (r.next_fire_at, r.id.as_uuid()));
    reminders.truncate(REMINDERS_SHOWN);

    let board_names: HashMap<BoardId, &str> = boards.items.iter().map(|b| (b.id, b.name.as_str())).collect();
    let viewer = user.viewer();
    let content = html! {
        h1 { "Hello, " (viewer.name) }
        section #boards {
            h2 { "Your boards" }
            @if boards.items.is_empty() {
                p .empty { "You are not a member of any board yet." }
            } @else {
                ul {
                    @for b in &boards.items {
                        li { (b.name.as_str()) @if b.archived { " " span .tag { "archived" } } }
                    }
                }
                @if boards.next_cursor.is_some() {
                    p .more { "Only the first " (BOARDS_SHOWN) " boards are listed." }
                }
            }
        }
        section #due {
            h2 { "Cards due in the next " (DUE_WITHIN_DAYS) " days" }
            @if due.is_empty() {
                p .empty { "Nothing is due." }
            } @else {
                ul {
                    @for card in &due {
                        li {
                            (card.title.as_str())
                            @if let Some(name) = board_names.get(&card.board_id) { " · " span .board { (name) } }
                            @if let Some(at) = card.due_at {
                                " · due " (when(at))
                                @if at < now { " " span .tag.overdue { "overdue" } }
                            }
                        }
                    }
                }
            }
        }
        section #reminders {
            h2 { "Next reminders" }
            @if reminders.is_empty() {
                p .empty { "No reminders in the next " (REMINDERS_WITHIN_DAYS) " days." }
            } @else {
                ul {
                    @for r in &reminders {
                        li {
                            (r.title.as_str())
                            @if let Some(at) = r.next_fire_at { " · " (when(at)) }
                            " " span .tz { "(" (r.timezone.name()) ")" }
                        }
                    }
                }
            }
        }
    };
    Ok(html(StatusCode::OK, layout::signed_in("Dashboard", &viewer, &content)))
}
