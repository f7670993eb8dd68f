//! Black-box API tests: the real server on port 0, every response checked against the OpenAPI
//! document.

// Helpers of a test binary are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod auth;
mod board_support;
mod board_views;
mod boards;
mod cards;
mod columns;
mod conventions;
mod coverage;
mod dashboard;
mod events;
mod idempotency;
mod labels_and_comments;
mod metrics;
mod notes;
mod notifications;
mod pages;
mod rate_limits;
mod reminders;
mod sso;
mod tokens;
mod users;
mod webhooks;
