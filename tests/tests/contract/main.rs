//! Adapter contract suites: each port's behaviour, run against every adapter that implements
//! it (SQLite and PostgreSQL for the SQL stores; SQL, Redis and memory for sessions).

mod db;
mod events;
mod identity_store;
mod session_store;
