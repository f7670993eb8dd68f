//! Test support shared by the API tests and the adapter contract suites: a fresh database per
//! test on every configured backend, a Redis key namespace per test, the real server on port 0,
//! and a check of every API response against the served OpenAPI document.
//!
//! SQLite always runs. PostgreSQL runs when `TEST_DATABASE_URL` is set and Redis when
//! `TEST_REDIS_URL` is set; under `CI=true` both must be set and reachable, or the suite fails.

// Test support: assertions panic by design, and `expect(..)` helpers are often called for their
// assertion alone.
#![allow(clippy::missing_panics_doc, clippy::unwrap_used, clippy::expect_used, clippy::return_self_not_must_use)]

mod app;
pub mod browser;
mod db;
pub mod oidc;
mod openapi;

pub use app::{Peer, Session, TestApp, TestResponse};
pub use db::{Backend, TestDb, databases, redis_pool};
pub use openapi::Conformance;

/// Whether we run in CI, where a missing service is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
