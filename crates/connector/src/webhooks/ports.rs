//! What webhooks need from the outside world: the subscriptions' store, the delivery queue
//! (with the outbox it is filled from) and an HTTP client.

use chrono::{DateTime, Utc};
use kernel::{BoardId, DeliveryId, DomainEvent, Page, PageRequest, RepoError, UserId, Version, WebhookId};

use super::model::{Attempt, Delivery, DueDelivery, FinishedAttempt, NewDelivery, OutboxEvent, Subscriber, Webhook};

/// Subscriptions, their deliveries and attempts: reads, and units of work for changes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait WebhookStore: Send + Sync {
    /// One subscription.
    ///
    /// # Errors
    /// `RepoError::NotFound` when there is none.
    async fn get(&self, id: WebhookId) -> Result<Webhook, RepoError>;

    /// `owner`'s subscriptions, oldest first, by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn list(&self, owner: UserId, page: PageRequest) -> Result<Page<Webhook>, RepoError>;

    /// One delivery of `webhook`.
    ///
    /// # Errors
    /// `RepoError::NotFound` when `webhook` has no such delivery.
    async fn delivery(&self, webhook: WebhookId, id: DeliveryId) -> Result<Delivery, RepoError>;

    /// `webhook`'s deliveries, newest first, by id (the page continues below the cursor).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn deliveries(&self, webhook: WebhookId, page: PageRequest) -> Result<Page<Delivery>, RepoError>;

    /// A delivery's attempts, oldest first, by id.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn attempts(&self, delivery: DeliveryId, page: PageRequest) -> Result<Page<Attempt>, RepoError>;

    /// Opens a unit of work. Dropping it without [`WebhookTx::commit`] rolls everything back.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin(&self) -> Result<Box<dyn WebhookTx>, RepoError>;
}

/// A unit of work on subscriptions: the change, then one [`WebhookTx::record`] and one
/// [`WebhookTx::commit`]. Versioned writes fail with `RepoError::Conflict` when the stored
/// version is not `expected`, and `NotFound` when the row is gone.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait WebhookTx: Send + Sync {
    /// Stores a new subscription.
    ///
    /// # Errors
    /// `RepoError::Conflict` when the id is taken.
    async fn insert(&self, webhook: &Webhook) -> Result<(), RepoError>;

    /// Overwrites a subscription.
    ///
    /// # Errors
    /// `Conflict` (stale version) or `NotFound`.
    async fn update(&self, webhook: &Webhook, expected: Version) -> Result<(), RepoError>;

    /// Deletes a subscription with its deliveries and their attempts.
    ///
    /// # Errors
    /// `Conflict` (stale version) or `NotFound`.
    async fn delete(&self, id: WebhookId, expected: Version) -> Result<(), RepoError>;

    /// Starts a new round of attempts for a delivery of `webhook`, the first due at `now`,
    /// and returns it.
    ///
    /// # Errors
    /// `NotFound` when `webhook` has no such delivery.
    async fn requeue(&self, webhook: WebhookId, id: DeliveryId, now: DateTime<Utc>) -> Result<Delivery, RepoError>;

    /// Appends the change's domain event (audit record and outbox row).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn record(&self, event: &DomainEvent) -> Result<(), RepoError>;

    /// Makes the unit of work durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` or `Unavailable` (the outcome is then unknown).
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// The delivery queue, and the outbox it is filled from.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait DeliveryQueue: Send + Sync {
    /// Opens a fan-out: one transaction that takes events out of the outbox and queues their
    /// deliveries.
    ///
    /// # Errors
    /// `RepoError::Unavailable` when no connection could be had.
    async fn begin_relay(&self) -> Result<Box<dyn RelayTx>, RepoError>;

    /// Claims up to `limit` pending deliveries of active webhooks due at `now`, earliest first,
    /// by moving their next attempt to `lease_until`: concurrent workers claim disjoint sets,
    /// and a delivery whose worker died comes due again when the lease ends.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, RepoError>;

    /// Records an attempt and what follows from it (the delivery's new state, the webhook's
    /// failure streak, turning it off), atomically.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn finish(&self, finished: &FinishedAttempt) -> Result<(), RepoError>;

    /// Deletes up to `limit` deliveries that are done (succeeded or failed) and were queued
    /// before `before`, with their attempts; returns how many.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn prune(&self, before: DateTime<Utc>, limit: u32) -> Result<u64, RepoError>;
}

/// One fan-out, bound to one open transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait RelayTx: Send + Sync {
    /// Takes up to `limit` of the oldest events out of the outbox (they are gone once the
    /// transaction commits; on PostgreSQL events another relay holds are skipped).
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn take(&self, limit: u32) -> Result<Vec<OutboxEvent>, RepoError>;

    /// Every active webhook of an active user, with its owner's memberships among `boards`.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn subscribers(&self, boards: Vec<BoardId>) -> Result<Vec<Subscriber>, RepoError>;

    /// Queues deliveries; one that is queued already (the same webhook and event) is skipped.
    ///
    /// # Errors
    /// `RepoError::Unavailable` or `Unexpected`.
    async fn queue(&self, deliveries: Vec<NewDelivery>) -> Result<(), RepoError>;

    /// Makes the fan-out durable, atomically.
    ///
    /// # Errors
    /// `RepoError::Conflict` or `Unavailable`.
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// An HTTP request to a webhook's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Where.
    pub url: String,
    /// The Standard Webhooks headers: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: String,
    /// The W3C `traceparent` of the request whose event this reports: the request continues
    /// that trace (as a span of its own when traces are exported, else passing it on).
    pub traceparent: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The target answered with this status code.
    Answered(u16),
    /// No answer: refused target, connection failure, timeout; why, for the owner.
    Failed(String),
}

/// Sends webhook requests: with a timeout, without following redirects, and only to public
/// addresses unless configured otherwise.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `request` and reports how it ended.
    async fn send(&self, request: &Outgoing) -> Sent;
}
