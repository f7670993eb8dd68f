//! The page shell: head, header with navigation and the sign-out form, main content.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::STYLESHEET;

/// Who the page is for: what the header shows and the sign-out form needs.
pub(crate) struct Viewer<'a> {
    /// The signed-in user's display name.
    pub name: &'a str,
    /// The session's CSRF token, for the page's forms.
    pub csrf_token: &'a str,
}

/// A page for a signed-in user: navigation, who they are, and a sign-out button.
pub(crate) fn signed_in(title: &str, viewer: &Viewer<'_>, content: &Markup) -> Markup {
    document(
        title,
        &html! {
            header .bar {
                a .brand href="/" { "Corkboard" }
                nav {
                    a href="/" { "Dashboard" }
                    a href="/settings/tokens" { "Access tokens" }
                }
                span .who { "Signed in as " strong #user-name { (viewer.name) } }
                form .signout method="post" action="/auth/logout" {
                    (csrf_field(viewer.csrf_token))
                    button type="submit" { "Sign out" }
                }
            }
            main { (content) }
        },
    )
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare(title: &str, content: &Markup) -> Markup {
    document(
        title,
        &html! {
            header .bar { a .brand href="/" { "Corkboard" } }
            main .narrow { (content) }
        },
    )
}

fn document(title: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Corkboard" }
                link rel="stylesheet" href=(STYLESHEET);
            }
            body { (body) }
        }
    }
}

/// The hidden field every signed-in form carries.
pub(crate) fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A time as people read it, in UTC (the pages have no script to learn the browser's zone).
pub(crate) fn when(at: DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) } }
}
