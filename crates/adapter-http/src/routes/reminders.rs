//! Reminders: create, list, read, change, delete, complete, cancel and snooze. Reminders are
//! personal: another user's reminder is a 404, whoever asks.
//!
//! `recurrence` is an RRULE value without its `RRULE:` prefix (`FREQ=WEEKLY;BYDAY=MO,WE`),
//! `timezone` an IANA name; a rule or zone the domain refuses is a 422 naming the field. A
//! recurring reminder shows its next five firings in `upcoming`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use identity::Scope;
use kernel::{CardId, NoteId, ReminderId};
use reminders::{
    NewReminder, Recurrence, Reminder, ReminderBody, ReminderChanges, ReminderFilter, ReminderStatus, ReminderTitle,
    Target, Timezone,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::board_dto::{Nullable, created, field, tagged};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, IfMatch};
use crate::openapi::{Conflict, Forbidden, NotFound, PreconditionFailed};
use crate::pagination::{PageParams, Paged};
use crate::state::AppState;

/// How many firings `upcoming` shows.
const UPCOMING: usize = 5;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reminders, create_reminder))
        .routes(routes!(get_reminder, update_reminder, delete_reminder))
        .routes(routes!(complete_reminder))
        .routes(routes!(cancel_reminder))
        .routes(routes!(snooze_reminder))
}

/// What a reminder points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TargetKind {
    /// A card on a board the caller is a member of.
    Card,
    /// A note the caller can read.
    Note,
}

/// A card or note a reminder is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetDto {
    /// `card` or `note`.
    #[serde(rename = "type")]
    kind: TargetKind,
    /// The card's or note's id.
    id: Uuid,
}

impl From<TargetDto> for Target {
    fn from(t: TargetDto) -> Self {
        match t.kind {
            TargetKind::Card => Self::Card(CardId::from_uuid(t.id)),
            TargetKind::Note => Self::Note(NoteId::from_uuid(t.id)),
        }
    }
}

impl From<Target> for TargetDto {
    fn from(t: Target) -> Self {
        let kind = match t {
            Target::Card(_) => TargetKind::Card,
            Target::Note(_) => TargetKind::Note,
        };
        Self { kind, id: t.id() }
    }
}

/// Where a reminder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = ReminderStatus)]
pub(crate) enum StatusDto {
    /// Live: fires at `next_fire_at` (none once its last occurrence fired).
    Scheduled,
    /// Done; a completed recurring reminder ends its series.
    Completed,
    /// Called off.
    Cancelled,
}

impl From<StatusDto> for ReminderStatus {
    fn from(s: StatusDto) -> Self {
        match s {
            StatusDto::Scheduled => Self::Scheduled,
            StatusDto::Completed => Self::Completed,
            StatusDto::Cancelled => Self::Cancelled,
        }
    }
}

impl From<ReminderStatus> for StatusDto {
    fn from(s: ReminderStatus) -> Self {
        match s {
            ReminderStatus::Scheduled => Self::Scheduled,
            ReminderStatus::Completed => Self::Completed,
            ReminderStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// A reminder to create; the caller becomes its owner.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateReminderIn {
    /// One line, not blank; surrounding whitespace is trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 200))]
    title: String,
    /// More detail, at most 10 000 characters; may be empty.
    #[schema(max_length = 10000)]
    #[garde(inner(length(chars, max = 10000)))]
    body: Option<String>,
    /// The first occurrence (RFC 3339). In the past, a one-shot reminder fires at once.
    #[garde(skip)]
    remind_at: DateTime<Utc>,
    /// The IANA time zone it is set in (`Europe/Berlin`); a series keeps its local time there.
    #[schema(min_length = 1, max_length = 64)]
    #[garde(length(chars, min = 1, max = 64))]
    timezone: String,
    /// An RRULE value without the `RRULE:` prefix, from the subset FREQ (DAILY, WEEKLY,
    /// MONTHLY, YEARLY), INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL.
    #[schema(min_length = 1, max_length = 500)]
    #[garde(inner(length(chars, min = 1, max = 500)))]
    recurrence: Option<String>,
    /// A card or note the caller can see.
    #[garde(skip)]
    target: Option<TargetDto>,
}

/// Changes to a reminder; omitted fields stay as they are. A new `remind_at`, `timezone` or
/// `recurrence` recomputes `next_fire_at` and drops a snooze.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateReminderIn {
    /// One line, not blank. `null` leaves it as it is.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    #[garde(length(chars, min = 1, max = 200))]
    title: Option<String>,
    /// At most 10 000 characters. `null` leaves it.
    #[schema(max_length = 10000)]
    #[garde(inner(length(chars, max = 10000)))]
    body: Option<String>,
    /// A new first occurrence. `null` leaves it.
    #[garde(skip)]
    remind_at: Option<DateTime<Utc>>,
    /// A new IANA time zone. `null` leaves it.
    #[schema(min_length = 1, max_length = 64)]
    #[garde(inner(length(chars, min = 1, max = 64)))]
    timezone: Option<String>,
    /// A new rule; `null` makes the reminder a one-shot one.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    #[garde(skip)]
    recurrence: Nullable<String>,
    /// A new target; `null` detaches the reminder from its card or note.
    #[serde(default)]
    #[schema(value_type = Option<TargetDto>)]
    #[garde(skip)]
    target: Nullable<TargetDto>,
}

/// When to fire again.
#[derive(Debug, Deserialize, ToSchema, garde::Validate)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnoozeIn {
    /// The instant (RFC 3339, in the future) the pending firing moves to.
    #[garde(skip)]
    until: DateTime<Utc>,
}

/// Which of the caller's reminders to list; every given filter must match.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReminderFilters {
    /// Only reminders in this status.
    #[garde(skip)]
    status: Option<StatusDto>,
    /// Only reminders firing next at or after this instant (RFC 3339); leaves out those with
    /// nothing pending.
    #[garde(skip)]
    from: Option<DateTime<Utc>>,
    /// Only reminders firing next strictly before this instant (RFC 3339); leaves out those
    /// with nothing pending.
    #[garde(skip)]
    to: Option<DateTime<Utc>>,
}

/// A reminder.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReminderOut {
    id: Uuid,
    title: String,
    /// May be empty.
    body: String,
    /// The first occurrence.
    remind_at: DateTime<Utc>,
    /// The IANA time zone it was set in.
    timezone: String,
    /// The rule, canonically written (an RRULE value without the prefix); `null` for a
    /// one-shot reminder.
    recurrence: Option<String>,
    /// The card or note it is about.
    target: Option<TargetDto>,
    status: StatusDto,
    /// When it fires next; `null` when nothing is pending.
    next_fire_at: Option<DateTime<Utc>>,
    /// Set while the pending firing was pushed back by a snooze.
    snoozed_until: Option<DateTime<Utc>>,
    /// Recurring reminders only: the next five firings, in order (fewer when the series ends;
    /// empty when nothing is pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 5)]
    upcoming: Option<Vec<DateTime<Utc>>>,
    /// Grows by one on every change; the `ETag`.
    #[schema(minimum = 1)]
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Reminder> for ReminderOut {
    fn from(r: &Reminder) -> Self {
        Self {
            id: r.id.as_uuid(),
            title: r.title.as_str().to_owned(),
            body: r.body.as_str().to_owned(),
            remind_at: r.remind_at,
            timezone: r.timezone.name().to_owned(),
            recurrence: r.recurrence.as_ref().map(ToString::to_string),
            target: r.target.map(TargetDto::from),
            status: r.status.into(),
            next_fire_at: r.next_fire_at,
            snoozed_until: r.snoozed_until,
            upcoming: r.is_recurring().then(|| r.upcoming(UPCOMING)),
            version: r.version.get(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn recurrence(raw: &str) -> Result<Recurrence, ApiError> {
    field("recurrence", Recurrence::parse(raw))
}

fn timezone(raw: &str) -> Result<Timezone, ApiError> {
    field("timezone", Timezone::parse(raw))
}

fn body(raw: &str) -> Result<ReminderBody, ApiError> {
    field("body", ReminderBody::parse(raw))
}

/// Stored instants have microsecond precision on both backends: truncating at the door keeps
/// what a write answers equal to what a later read returns.
fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

fn reminder_response(status: StatusCode, r: &Reminder) -> Response {
    tagged(status, r.version, ReminderOut::from(r))
}

/// The caller's reminders matching the filters, oldest first.
#[utoipa::path(get, path = "/reminders", tag = "reminders",
    params(ReminderFilters, PageParams),
    security(("session" = []), ("bearer" = ["reminders:read"])),
    responses(
        (status = 200, description = "A page of reminders", body = Paged<ReminderOut>),
        (status = 403, response = Forbidden)))]
async fn list_reminders(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(filters): ApiQuery<ReminderFilters>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<axum::Json<Paged<ReminderOut>>, ApiError> {
    let caller = auth.require(Scope::RemindersRead)?;
    let filter =
        ReminderFilter { status: filters.status.map(ReminderStatus::from), from: filters.from, to: filters.to };
    let reminders = s.reminders.list(caller, filter, page.page()?).await?;
    Ok(axum::Json(Paged::from_page(reminders, |r| ReminderOut::from(&r))))
}

/// Create a reminder, one-shot or recurring, optionally about a card or note the caller can see.
#[utoipa::path(post, path = "/reminders", tag = "reminders", request_body = CreateReminderIn,
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 201, description = "Created", body = ReminderOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = Forbidden)))]
async fn create_reminder(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<CreateReminderIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    let input = NewReminder {
        title: field("title", ReminderTitle::parse(&input.title))?,
        body: input.body.as_deref().map(body).transpose()?.unwrap_or_default(),
        remind_at: micros(input.remind_at),
        timezone: timezone(&input.timezone)?,
        recurrence: input.recurrence.as_deref().map(recurrence).transpose()?,
        target: input.target.map(Target::from),
    };
    let reminder = s.reminders.create(caller, input).await?;
    Ok(created(&format!("/api/v1/reminders/{}", reminder.id), Some(reminder.version), ReminderOut::from(&reminder)))
}

/// One of the caller's reminders.
#[utoipa::path(get, path = "/reminders/{reminder_id}", tag = "reminders",
    params(("reminder_id" = Uuid, Path, description = "The reminder's id")),
    security(("session" = []), ("bearer" = ["reminders:read"])),
    responses(
        (status = 200, description = "The reminder", body = ReminderOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound)))]
async fn get_reminder(State(s): State<AppState>, auth: Auth, ApiPath(id): ApiPath<Uuid>) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::RemindersRead)?;
    let reminder = s.reminders.get(caller, ReminderId::from_uuid(id)).await?;
    Ok(reminder_response(StatusCode::OK, &reminder))
}

/// Change a reminder.
#[utoipa::path(patch, path = "/reminders/{reminder_id}", tag = "reminders", request_body = UpdateReminderIn,
    params(("reminder_id" = Uuid, Path, description = "The reminder's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 200, description = "Updated", body = ReminderOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed)))]
async fn update_reminder(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<UpdateReminderIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    let changes = ReminderChanges {
        title: input.title.as_deref().map(|t| field("title", ReminderTitle::parse(t))).transpose()?,
        body: input.body.as_deref().map(body).transpose()?,
        remind_at: input.remind_at.map(micros),
        timezone: input.timezone.as_deref().map(timezone).transpose()?,
        recurrence: input.recurrence.try_map(|r| recurrence(&r))?.into(),
        target: Option::<Option<TargetDto>>::from(input.target).map(|t| t.map(Target::from)),
    };
    let reminder = s.reminders.update(caller, ReminderId::from_uuid(id), changes, expected).await?;
    Ok(reminder_response(StatusCode::OK, &reminder))
}

/// Delete a reminder.
#[utoipa::path(delete, path = "/reminders/{reminder_id}", tag = "reminders",
    params(("reminder_id" = Uuid, Path, description = "The reminder's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict), (status = 412, response = PreconditionFailed)))]
async fn delete_reminder(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    s.reminders.delete(caller, ReminderId::from_uuid(id), expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark a reminder done. For a recurring reminder this ends the series. Completing a completed
/// reminder changes nothing; a cancelled one is a 409 `REMINDER_NOT_SCHEDULED`.
#[utoipa::path(post, path = "/reminders/{reminder_id}/complete", tag = "reminders",
    params(("reminder_id" = Uuid, Path, description = "The reminder's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 200, description = "Completed", body = ReminderOut, headers(("ETag" = String))),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed)))]
async fn complete_reminder(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    let reminder = s.reminders.complete(caller, ReminderId::from_uuid(id), expected).await?;
    Ok(reminder_response(StatusCode::OK, &reminder))
}

/// Call a reminder off: it never fires again. Cancelling a cancelled reminder changes nothing; a
/// completed one is a 409 `REMINDER_NOT_SCHEDULED`.
#[utoipa::path(post, path = "/reminders/{reminder_id}/cancel", tag = "reminders",
    params(("reminder_id" = Uuid, Path, description = "The reminder's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 200, description = "Cancelled", body = ReminderOut, headers(("ETag" = String))),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed)))]
async fn cancel_reminder(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    let reminder = s.reminders.cancel(caller, ReminderId::from_uuid(id), expected).await?;
    Ok(reminder_response(StatusCode::OK, &reminder))
}

/// Push the pending firing back to `until` (in the future); a series carries on after it. Only
/// a scheduled reminder can be snoozed (409 `REMINDER_NOT_SCHEDULED` otherwise).
#[utoipa::path(post, path = "/reminders/{reminder_id}/snooze", tag = "reminders", request_body = SnoozeIn,
    params(("reminder_id" = Uuid, Path, description = "The reminder's id"),
           ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    security(("session" = []), ("bearer" = ["reminders:write"])),
    responses(
        (status = 200, description = "Snoozed", body = ReminderOut, headers(("ETag" = String))),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed)))]
async fn snooze_reminder(
    State(s): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<SnoozeIn>,
) -> Result<Response, ApiError> {
    let caller = auth.require(Scope::RemindersWrite)?;
    let reminder = s.reminders.snooze(caller, ReminderId::from_uuid(id), micros(input.until), expected).await?;
    Ok(reminder_response(StatusCode::OK, &reminder))
}
