//! Black-box API tests: the real server on port 0, every response checked against the OpenAPI
//! document.

mod auth;
mod conventions;
mod tokens;
mod users;
