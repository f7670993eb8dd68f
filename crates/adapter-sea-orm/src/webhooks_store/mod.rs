//! Webhooks' store: [`SeaWebhookStore`] (subscriptions, their deliveries and attempts, and
//! units of work for changes) and [`SeaDeliveryQueue`] (the outbox's fan-out, and the queue
//! workers claim attempts from), decision 0049.

mod convert;
mod queue;
mod store;

pub use queue::SeaDeliveryQueue;
pub use store::SeaWebhookStore;
