//! `GET /login`: the sign-in page — the password form when password sign-in is on, and one
//! button per configured OpenID provider. `POST /login`: the password form's target.
//!
//! The form has no session yet, so no CSRF token: login CSRF (a foreign site signing the
//! victim's browser into the attacker's account) is refused by checking that the post comes
//! from our own origin — `Origin` equal to the public URL's origin, or without `Origin`,
//! `Sec-Fetch-Site: same-origin` or a same-origin `Referer`; a post carrying none of them is
//! refused too. Browsers set all three themselves and scripts on other sites cannot forge
//! them. See decision 0025.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use identity::IdentityError;
use maud::{Markup, html};
use serde::Deserialize;

use super::form::read_fields;
use super::layout;
use super::{PageError, html, origin_of, see_other};
use crate::auth::{request_meta, session_auth, session_secret};
use crate::routes::auth::session_cookie;
use crate::state::AppState;

/// `/login?error=…&next=…`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginQuery {
    error: Option<String>,
    next: Option<String>,
}

/// The sign-in page. A signed-in visitor goes straight on to `next` (or the dashboard).
pub(crate) async fn page(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    // A malformed query is treated as none: this page must always render.
    let query = Query::<LoginQuery>::try_from_uri(&parts.uri).map(|Query(q)| q).unwrap_or_default();
    let next = safe_next(query.next.as_deref());
    if let Ok(Some(_)) = session_auth(&parts, &s).await {
        return see_other(next.unwrap_or("/"));
    }
    let message = query.error.as_deref().map(error_message);
    render(&s, StatusCode::OK, message, None, next)
}

/// The password form's target: signs in, sets the session cookie, and goes on with `303`.
pub(crate) async fn submit(State(s): State<AppState>, req: Request) -> Response {
    if !same_origin(req.headers(), &s.settings.public_url) {
        return PageError::new(
            StatusCode::FORBIDDEN,
            "Sign-in forms are accepted only from this site's own sign-in page.",
        )
        .into_response();
    }
    let (parts, body) = req.into_parts();
    let meta = request_meta(&parts, &s);
    let previous = session_secret(&parts, &s);
    let fields = match read_fields(parts, body, &s).await {
        Ok(fields) => fields,
        Err(e) => return e.into_response(),
    };
    let email = fields.get("email").unwrap_or_default();
    let password = fields.get("password").unwrap_or_default();
    let next = safe_next(fields.get("next"));
    match s.identity.login(email, password, previous.as_deref(), &meta).await {
        Ok(outcome) => {
            let ttl = outcome.session.session.absolute_expires_at - outcome.session.session.created_at;
            let cookie = session_cookie(&s.settings, outcome.session.secret, ttl);
            (CookieJar::new().add(cookie), see_other(next.unwrap_or("/"))).into_response()
        }
        Err(IdentityError::InvalidCredentials) => {
            render(&s, StatusCode::UNAUTHORIZED, Some("The email or password is wrong."), Some(email), next)
        }
        Err(IdentityError::PasswordLoginDisabled) => {
            render(&s, StatusCode::FORBIDDEN, Some("Password sign-in is turned off; use single sign-on."), None, next)
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

fn render(
    s: &AppState,
    status: StatusCode,
    message: Option<&str>,
    email: Option<&str>,
    next: Option<&str>,
) -> Response {
    let providers = s.identity.sso_providers();
    let password = s.identity.password_login_enabled();
    let content: Markup = html! {
        h1 { "Sign in" }
        @if let Some(message) = message {
            p .error role="alert" { (message) }
        }
        @if password {
            form .card method="post" action="/login" {
                label for="email" { "Email" }
                input #email type="email" name="email" autocomplete="username" required value=(email.unwrap_or_default());
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required;
                @if let Some(next) = next {
                    input type="hidden" name="next" value=(next);
                }
                button type="submit" { "Sign in" }
            }
        }
        @if !providers.is_empty() {
            @if password { p .or { "or" } }
            ul .providers {
                @for p in providers {
                    li { a .button href={ "/auth/oidc/" (p.id) "/login" } { "Sign in with " (p.display_name) } }
                }
            }
        }
        @if !password && providers.is_empty() {
            p { "No sign-in method is configured. Ask your administrator." }
        }
    };
    html(status, layout::bare("Sign in", &content))
}

/// The text for an `error` code in the query. The set is fixed, so nothing from the URL is
/// ever shown; the codes are those the OpenID callback redirects with.
fn error_message(code: &str) -> &'static str {
    match code {
        "unknown_provider" => "That sign-in provider is not configured.",
        "invalid_state" => "The sign-in attempt expired or was already used. Please try again.",
        "provider_error" => "The identity provider did not complete the sign-in.",
        "issuer_mismatch" | "invalid_token" => "The identity provider's answer could not be verified.",
        "provider_unavailable" => "The identity provider could not be reached. Please try again later.",
        "no_account" => "No account is linked to that identity. Ask your administrator for access.",
        "account_disabled" => "This account is disabled.",
        "email_not_linkable" => {
            "An account with this email already exists and cannot be linked automatically. Sign in another way, or ask your administrator."
        }
        "session_expired" => "Your session has ended. Please sign in again.",
        _ => "Sign-in failed. Please try again.",
    }
}

/// `next` when it is a path on this site: one leading `/` (not `//`, which browsers read as
/// another host), no backslash, printable ASCII only, bounded.
fn safe_next(raw: Option<&str>) -> Option<&str> {
    raw.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.len() <= 1024
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    })
}

/// Whether a form post comes from our own origin (see the module's documentation).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(ours) = origin_of(public_url) else { return false };
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().is_ok_and(|o| o.eq_ignore_ascii_case(&ours));
    }
    if let Some(site) = text(axum::http::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    text(header::REFERER).and_then(origin_of).is_some_and(|o| o == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(safe_next(Some("/settings/tokens?x=1")), Some("/settings/tokens?x=1"));
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "/a b", ""] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn unknown_error_codes_get_a_fixed_text() {
        assert_eq!(error_message("<script>alert(1)</script>"), "Sign-in failed. Please try again.");
    }

    #[test]
    fn origin_sec_fetch_site_or_referer_must_name_us() {
        let ours = "http://127.0.0.1:8080";
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            same_origin(&h, ours)
        };
        assert!(with(&[("origin", "http://127.0.0.1:8080")]));
        assert!(!with(&[("origin", "http://evil.example")]));
        assert!(!with(&[("origin", "null")]));
        assert!(!with(&[("origin", "http://evil.example"), ("sec-fetch-site", "same-origin")]));
        assert!(with(&[("sec-fetch-site", "same-origin")]));
        assert!(!with(&[("sec-fetch-site", "cross-site")]));
        assert!(with(&[("referer", "http://127.0.0.1:8080/login?next=/")]));
        assert!(!with(&[("referer", "http://127.0.0.1:8080.evil.example/login")]));
        assert!(!with(&[]));
    }
}
