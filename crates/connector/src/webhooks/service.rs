//! The subscription use cases: make, read, change, delete; list deliveries and attempts;
//! re-send a delivery.
//!
//! A subscription belongs to the user who made it, and only that user sees or changes it
//! (anyone else gets `NotFound`; being an administrator grants nothing here). It receives the
//! events its owner may see in the event feed (decision 0049).

use std::sync::Arc;

use kernel::{Caller, Changes, Clock, DeliveryId, DomainEvent, IdGen, Page, PageRequest, Version, WebhookId};
use serde_json::Value;

use super::error::WebhookError;
use super::model::{
    Attempt, DESCRIPTION_MAX_CHARS, Delivery, NewWebhook, TargetUrl, Webhook, WebhookChanges, WebhookSecret,
};
use super::ports::{WebhookStore, WebhookTx};

/// The subscription use cases. Every one takes the authenticated [`Caller`] first.
pub struct WebhookService {
    store: Arc<dyn WebhookStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    allow_private_targets: bool,
}

impl WebhookService {
    /// The service on its ports; targets on loopback, private or link-local addresses are
    /// refused unless `allow_private_targets`.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
        allow_private_targets: bool,
    ) -> Self {
        Self { store, clock, ids, allow_private_targets }
    }

    /// Makes a subscription for the caller, with a new secret.
    ///
    /// # Errors
    /// [`WebhookError::Invalid`] for a bad URL or description; a store failure.
    #[tracing::instrument(target = "connector::use_case", level = "debug", skip_all, err(level = "debug"))]
    pub async fn create(&self, caller: &Caller, input: NewWebhook) -> Result<Webhook, WebhookError> {
        let now = self.clock.now();
        let webhook = Webhook {
            id: WebhookId::from_uuid(self.ids.new_id()),
            owner_id: caller.user_id,
            url: self.target(&input.url)?,
            description: description(&input.description)?,
            event_types: input.event_types,
            secret: WebhookSecret::generate(),
            active: input.active,
            disabled_reason: None,
            failing_since: None,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        let tx = self.store.begin().await?;
        tx.insert(&webhook).await?;
        let changes = Changes::new()
            .set("url", webhook.url.as_str())
            .set("description", webhook.description.as_str())
            .set("event_types", webhook.event_types.as_slice())
            .set("active", webhook.active)
            .set("secret", "set");
        self.finish(tx, caller, "webhook.created", webhook.id, changes).await?;
        Ok(webhook)
    }

    /// The caller's subscriptions, oldest first.
    ///
    /// # Errors
    /// A store failure.
    pub async fn list(&self, caller: &Caller, page: PageRequest) -> Result<Page<Webhook>, WebhookError> {
        Ok(self.store.list(caller.user_id, page).await?)
    }

    /// One of the caller's subscriptions.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`] when it is not the caller's.
    pub async fn get(&self, caller: &Caller, id: WebhookId) -> Result<Webhook, WebhookError> {
        let webhook = self.store.get(id).await?;
        if webhook.owner_id != caller.user_id {
            return Err(WebhookError::NotFound);
        }
        Ok(webhook)
    }

    /// Changes a subscription. Turning it on clears the failure record, so it gets a fresh
    /// day before it is turned off again. A change that changes nothing writes nothing.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `VersionMismatch` (a stale `expected`), `Conflict`.
    #[tracing::instrument(target = "connector::use_case", level = "debug", skip_all, fields(%id), err(level = "debug"))]
    pub async fn update(
        &self,
        caller: &Caller,
        id: WebhookId,
        changes: WebhookChanges,
        expected: Option<Version>,
    ) -> Result<Webhook, WebhookError> {
        let current = self.get(caller, id).await?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(WebhookError::VersionMismatch);
        }
        let mut next = current.clone();
        if let Some(url) = &changes.url {
            next.url = self.target(url)?;
        }
        if let Some(text) = changes.description {
            next.description = description(&text)?;
        }
        if let Some(types) = changes.event_types {
            next.event_types = types;
        }
        if let Some(active) = changes.active {
            next.active = active;
            if active && !current.active {
                next.disabled_reason = None;
                next.failing_since = None;
            }
        }
        if changes.rotate_secret {
            next.secret = WebhookSecret::generate();
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version.next();
        next.updated_at = self.clock.now();
        let tx = self.store.begin().await?;
        tx.update(&next, current.version).await.map_err(stale_write(expected.is_some()))?;
        let mut diff = Changes::new()
            .diff("url", current.url.as_str(), next.url.as_str())
            .diff("description", current.description.as_str(), next.description.as_str())
            .diff("event_types", current.event_types.as_slice(), next.event_types.as_slice())
            .diff("active", current.active, next.active);
        if changes.rotate_secret {
            diff = diff.diff("secret", "old", "new");
        }
        self.finish(tx, caller, "webhook.updated", id, diff).await?;
        Ok(next)
    }

    /// Deletes a subscription, with its deliveries and their attempts.
    ///
    /// # Errors
    /// `NotFound`, `VersionMismatch`, `Conflict`.
    #[tracing::instrument(target = "connector::use_case", level = "debug", skip_all, fields(%id), err(level = "debug"))]
    pub async fn delete(&self, caller: &Caller, id: WebhookId, expected: Option<Version>) -> Result<(), WebhookError> {
        let current = self.get(caller, id).await?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(WebhookError::VersionMismatch);
        }
        let tx = self.store.begin().await?;
        tx.delete(id, current.version).await.map_err(stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("url", current.url.as_str(), Value::Null);
        self.finish(tx, caller, "webhook.deleted", id, changes).await
    }

    /// A subscription's deliveries, newest first.
    ///
    /// # Errors
    /// `NotFound` when the subscription is not the caller's.
    pub async fn deliveries(
        &self,
        caller: &Caller,
        id: WebhookId,
        page: PageRequest,
    ) -> Result<Page<Delivery>, WebhookError> {
        self.get(caller, id).await?;
        Ok(self.store.deliveries(id, page).await?)
    }

    /// A delivery's attempts, oldest first.
    ///
    /// # Errors
    /// `NotFound` when the subscription is not the caller's or has no such delivery.
    pub async fn attempts(
        &self,
        caller: &Caller,
        id: WebhookId,
        delivery: DeliveryId,
        page: PageRequest,
    ) -> Result<Page<Attempt>, WebhookError> {
        self.get(caller, id).await?;
        self.store.delivery(id, delivery).await?;
        Ok(self.store.attempts(delivery, page).await?)
    }

    /// Sends a delivery again: a new round of attempts, the first at once, under the same
    /// `webhook-id` (receivers that already took it recognise the repeat).
    ///
    /// # Errors
    /// `NotFound`; [`WebhookError::Inactive`] when the subscription is turned off.
    #[tracing::instrument(target = "connector::use_case", level = "debug", skip_all, fields(%id, %delivery), err(level = "debug"))]
    pub async fn redeliver(
        &self,
        caller: &Caller,
        id: WebhookId,
        delivery: DeliveryId,
    ) -> Result<Delivery, WebhookError> {
        let webhook = self.get(caller, id).await?;
        if !webhook.active {
            return Err(WebhookError::Inactive);
        }
        let tx = self.store.begin().await?;
        let requeued = tx.requeue(id, delivery, self.clock.now()).await?;
        let changes = Changes::new().set("delivery_id", delivery.to_string());
        self.finish(tx, caller, "webhook.redelivery_requested", id, changes).await?;
        Ok(requeued)
    }

    fn target(&self, raw: &str) -> Result<TargetUrl, WebhookError> {
        TargetUrl::parse(raw, self.allow_private_targets).map_err(|m| WebhookError::invalid("url", m))
    }

    async fn finish(
        &self,
        tx: Box<dyn WebhookTx>,
        caller: &Caller,
        action: &'static str,
        id: WebhookId,
        changes: Changes,
    ) -> Result<(), WebhookError> {
        let event = DomainEvent {
            id: self.ids.new_id(),
            occurred_at: self.clock.now(),
            actor: caller.actor,
            action,
            resource_type: "webhook",
            resource_id: id.as_uuid(),
            board_id: None,
            changes,
            meta: caller.meta.clone(),
        };
        tx.record(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl std::fmt::Debug for WebhookService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookService")
            .field("allow_private_targets", &self.allow_private_targets)
            .finish_non_exhaustive()
    }
}

fn description(text: &str) -> Result<String, WebhookError> {
    if text.chars().count() > DESCRIPTION_MAX_CHARS || text.chars().any(char::is_control) {
        return Err(WebhookError::invalid(
            "description",
            format!("one line of at most {DESCRIPTION_MAX_CHARS} characters"),
        ));
    }
    Ok(text.trim().to_owned())
}

/// A stale versioned write: a mismatch when the caller stated a version, else retryable.
fn stale_write(expected_given: bool) -> impl FnOnce(kernel::RepoError) -> WebhookError {
    move |e| match e {
        kernel::RepoError::Conflict(_) if expected_given => WebhookError::VersionMismatch,
        kernel::RepoError::Conflict(_) => {
            WebhookError::Conflict("changed concurrently by another request; retry".into())
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests;
