//! `/settings/tokens`: the user's personal access tokens — list, create (the secret is shown
//! once, in the answer to the form), revoke.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use identity::{AccessToken, IdentityError, Scope, ScopeSet, TokenName};
use kernel::{PageRequest, TokenId};
use maud::{Markup, html};

use super::form::{PageForm, PageUser};
use super::layout::{self, csrf_field, when};
use super::{PageError, html, see_other};
use crate::state::AppState;

/// What the create form held, to fill it again after a refusal.
#[derive(Debug, Default)]
struct Draft {
    name: String,
    scopes: Vec<String>,
    expires: String,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Outcome<'a> {
    /// A token just created, with its secret: shown this once.
    created: Option<(&'a AccessToken, &'a str)>,
    /// Why the form was refused.
    errors: Vec<String>,
    draft: Draft,
}

/// The token page.
pub(crate) async fn page(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    render(&s, &user, StatusCode::OK, Outcome::default()).await
}

/// The create form's target: the answer is the page with the new secret, shown once.
pub(crate) async fn create(State(s): State<AppState>, form: PageForm) -> Result<Response, PageError> {
    let PageForm { user, fields } = form;
    let draft = Draft {
        name: fields.get("name").unwrap_or_default().to_owned(),
        scopes: fields.all("scopes").map(str::to_owned).collect(),
        expires: fields.get("expires_on").unwrap_or_default().trim().to_owned(),
    };
    let mut errors = Vec::new();
    let name = TokenName::parse(&draft.name).map_err(|e| errors.push(message(e))).ok();
    let scopes = ScopeSet::parse(&draft.scopes).map_err(|e| errors.push(message(e))).ok();
    let expires_at = if draft.expires.is_empty() {
        None
    } else {
        // Valid through the chosen day (UTC): it stops at the next midnight.
        let next_day = NaiveDate::parse_from_str(&draft.expires, "%Y-%m-%d").ok().and_then(|d| d.succ_opt());
        if next_day.is_none() {
            errors.push("Expiry: must be a date (YYYY-MM-DD).".to_owned());
        }
        next_day.map(|d| d.and_time(NaiveTime::MIN).and_utc())
    };
    let (Some(name), Some(scopes), true) = (name, scopes, errors.is_empty()) else {
        return render(&s, &user, StatusCode::UNPROCESSABLE_ENTITY, Outcome { errors, draft, ..Outcome::default() })
            .await;
    };
    let caller = user.0.require_session()?;
    match s.identity.create_token(caller, name, scopes, expires_at).await {
        Ok((token, secret)) => {
            let outcome = Outcome { created: Some((&token, &secret)), ..Outcome::default() };
            render(&s, &user, StatusCode::OK, outcome).await
        }
        Err(e @ IdentityError::Invalid { .. }) => {
            let outcome = Outcome { errors: vec![message(e)], draft, ..Outcome::default() };
            render(&s, &user, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A revoke button's target; back to the list.
pub(crate) async fn revoke(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, PageError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| PageError::new(StatusCode::NOT_FOUND, "No such token."))?;
    let caller = form.user.0.require_session()?;
    match s.identity.revoke_token(caller, TokenId::from_uuid(id)).await {
        Ok(()) => Ok(see_other("/settings/tokens")),
        Err(IdentityError::NotFound) => Err(PageError::new(StatusCode::NOT_FOUND, "No such token.")),
        Err(e) => Err(e.into()),
    }
}

fn message(e: IdentityError) -> String {
    match e {
        IdentityError::Invalid { field, message } => {
            let field = match field {
                "name" => "Name",
                "scopes" => "Scopes",
                "expires_at" => "Expiry",
                other => other,
            };
            format!("{field}: {message}.")
        }
        other => other.to_string(),
    }
}

async fn render(
    s: &AppState,
    user: &PageUser,
    status: StatusCode,
    outcome: Outcome<'_>,
) -> Result<Response, PageError> {
    let caller = user.0.require_session()?;
    let tokens = s.identity.list_tokens(caller, PageRequest::new(Some(PageRequest::MAX_LIMIT), None)).await?;
    let viewer = user.viewer();
    let scopes: Vec<Scope> =
        Scope::ALL.iter().copied().filter(|s| *s != Scope::UsersManage || caller.is_admin).collect();
    let content = html! {
        h1 { "Personal access tokens" }
        p { "Tokens let scripts and integrations call the API as you: send one as "
            code { "Authorization: Bearer <token>" } "." }
        @if let Some((token, secret)) = outcome.created {
            section .created role="status" {
                h2 { "Token “" (token.name.as_str()) "” created" }
                p { "Copy it now: it will not be shown again." }
                pre { code #new-token { (secret) } }
            }
        }
        @if !outcome.errors.is_empty() {
            ul .error role="alert" { @for e in &outcome.errors { li { (e) } } }
        }
        section {
            h2 { "Your tokens" }
            @if tokens.items.is_empty() {
                p .empty { "You have no tokens." }
            } @else {
                (token_table(&tokens.items, viewer.csrf_token))
                @if tokens.next_cursor.is_some() {
                    p .more { "Only the first " (PageRequest::MAX_LIMIT) " tokens are listed; the API lists them all." }
                }
            }
        }
        section {
            h2 { "New token" }
            form .card method="post" action="/settings/tokens" {
                (csrf_field(viewer.csrf_token))
                label for="token-name" { "Name" }
                input #token-name type="text" name="name" required maxlength="100" value=(outcome.draft.name);
                fieldset {
                    legend { "Scopes" }
                    @for scope in &scopes {
                        label .check {
                            input type="checkbox" name="scopes" value=(scope.as_str())
                                checked[outcome.draft.scopes.iter().any(|x| x == scope.as_str())];
                            " " code { (scope.as_str()) }
                        }
                    }
                }
                label for="token-expiry" { "Expires after (optional, UTC)" }
                input #token-expiry type="date" name="expires_on" value=(outcome.draft.expires);
                button type="submit" { "Create token" }
            }
        }
    };
    Ok(html(status, layout::signed_in("Access tokens", &viewer, &content)))
}

fn token_table(tokens: &[AccessToken], csrf_token: &str) -> Markup {
    html! {
        table #tokens {
            thead { tr { th { "Name" } th { "Prefix" } th { "Scopes" } th { "Created" } th { "Expires" } th { "Last used" } th {} } }
            tbody {
                @for t in tokens {
                    tr {
                        td .name { (t.name.as_str()) }
                        td { code { (t.display_prefix) "…" } }
                        td { (t.scopes.names().join(", ")) }
                        td { (when(t.created_at)) }
                        td { @if let Some(at) = t.expires_at { (when(at)) } @else { "never" } }
                        td { @if let Some(at) = t.last_used_at { (when(at)) } @else { "never" } }
                        td {
                            form method="post" action={ "/settings/tokens/" (t.id.as_uuid()) "/revoke" } {
                                (csrf_field(csrf_token))
                                button .danger type="submit" { "Revoke" }
                            }
                        }
                    }
                }
            }
        }
    }
}
