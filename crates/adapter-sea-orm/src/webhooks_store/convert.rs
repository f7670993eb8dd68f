//! Rows to domain types and back.

use std::fmt::Display;

use connector::webhooks::{Attempt, Delivery, DeliveryStatus, EventTypes, TargetUrl, Webhook, WebhookSecret};
use kernel::{DeliveryId, RepoError, UserId, Version, WebhookId};

use crate::entity::{webhook, webhook_attempt, webhook_delivery};

fn corrupt<E: Display>(what: &'static str) -> impl FnOnce(E) -> RepoError {
    move |e| RepoError::Unexpected(anyhow::anyhow!("stored {what} does not parse: {e}"))
}

/// The stored event types: a JSON array of patterns.
pub(super) fn event_types(stored: &str) -> Result<EventTypes, RepoError> {
    let types: Vec<String> = serde_json::from_str(stored).map_err(corrupt("webhook event types"))?;
    EventTypes::parse(&types).map_err(corrupt("webhook event types"))
}

/// A stored signing secret.
pub(super) fn secret(stored: &str) -> Result<WebhookSecret, RepoError> {
    WebhookSecret::from_stored(stored).map_err(corrupt("webhook secret"))
}

pub(super) fn webhook_from_row(row: webhook::Model) -> Result<Webhook, RepoError> {
    Ok(Webhook {
        id: WebhookId::from_uuid(row.id),
        owner_id: UserId::from_uuid(row.owner_id),
        // Stored targets passed the policy when written; the sender checks addresses again.
        url: TargetUrl::stored(&row.url).map_err(corrupt("webhook url"))?,
        description: row.description,
        event_types: event_types(&row.event_types)?,
        secret: secret(&row.secret)?,
        active: row.active,
        disabled_reason: row.disabled_reason,
        failing_since: row.failing_since,
        version: Version::new(row.version),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn webhook_to_row(w: &Webhook) -> webhook::Model {
    webhook::Model {
        id: w.id.as_uuid(),
        owner_id: w.owner_id.as_uuid(),
        url: w.url.as_str().to_owned(),
        description: w.description.clone(),
        event_types: serde_json::Value::from(w.event_types.as_slice()).to_string(),
        secret: w.secret.expose().to_owned(),
        active: w.active,
        disabled_reason: w.disabled_reason.clone(),
        failing_since: w.failing_since,
        version: w.version.get(),
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

pub(super) fn delivery_from_row(row: webhook_delivery::Model) -> Result<Delivery, RepoError> {
    Ok(Delivery {
        id: DeliveryId::from_uuid(row.id),
        webhook_id: WebhookId::from_uuid(row.webhook_id),
        event_id: row.event_id,
        event_type: row.event_type,
        body: row.body,
        status: DeliveryStatus::parse(&row.status).ok_or_else(|| corrupt("delivery status")(&row.status))?,
        attempts: u32::try_from(row.attempts).map_err(corrupt("delivery attempts"))?,
        next_attempt_at: row.next_attempt_at,
        last_attempt_at: row.last_attempt_at,
        last_status_code: row.last_status_code.map(u16::try_from).transpose().map_err(corrupt("status code"))?,
        round_started_at: row.round_started_at,
        created_at: row.created_at,
    })
}

pub(super) fn attempt_from_row(row: webhook_attempt::Model) -> Result<Attempt, RepoError> {
    Ok(Attempt {
        id: row.id,
        delivery_id: DeliveryId::from_uuid(row.delivery_id),
        attempted_at: row.attempted_at,
        status_code: row.status_code.map(u16::try_from).transpose().map_err(corrupt("status code"))?,
        error: row.error,
        duration_ms: u32::try_from(row.duration_ms).map_err(corrupt("attempt duration"))?,
    })
}

pub(super) fn attempt_to_row(a: &Attempt) -> webhook_attempt::Model {
    webhook_attempt::Model {
        id: a.id,
        delivery_id: a.delivery_id.as_uuid(),
        attempted_at: a.attempted_at,
        status_code: a.status_code.map(i32::from),
        error: a.error.clone(),
        duration_ms: i32::try_from(a.duration_ms).unwrap_or(i32::MAX),
    }
}
