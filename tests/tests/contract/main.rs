//! Adapter contract suites: each port's behaviour, run against every adapter that implements
//! it (SQLite and PostgreSQL for the SQL stores; SQL, Redis and memory for sessions).

// Helpers of a test binary are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_seals;
mod board_store;
mod dashboard;
mod db;
mod event_log;
mod events;
mod idempotency;
mod identity_store;
mod notes_store;
mod rate_limit;
mod reminders_store;
mod scheduler;
mod session_store;
mod sso_store;
mod webhook_sender;
mod webhooks;
