//! Webhooks: subscriptions to the domain events, delivered from the transactional outbox as
//! signed Standard Webhooks requests, retried for about a day (decision 0049).

pub(crate) mod address;
mod dispatch;
mod error;
mod model;
mod ports;
mod retry;
mod service;
mod signing;

pub use address::is_public;
pub use dispatch::{DeliveryReport, DispatchSettings, Dispatcher, payload, plan};
pub use error::WebhookError;
pub use model::{
    AfterAttempt, Attempt, DESCRIPTION_MAX_CHARS, Delivery, DeliveryStatus, DueDelivery, EventTypes, FinishedAttempt,
    NewDelivery, NewWebhook, OutboxEvent, Subscriber, TargetUrl, Webhook, WebhookChanges, WebhookSecret,
};
pub use ports::{DeliveryQueue, Outgoing, RelayTx, Sent, WebhookSender, WebhookStore, WebhookTx};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockDeliveryQueue, MockRelayTx, MockWebhookSender, MockWebhookStore, MockWebhookTx};
pub use retry::{FIRST_WAIT, MAX_WAIT, ROUND, next_attempt};
pub use service::WebhookService;
pub use signing::sign;
