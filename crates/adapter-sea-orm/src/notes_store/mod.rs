//! Notes' store: [`SeaNoteStore`] (the pool: reads, searches and the start of units of work;
//! also notes' [`notes::BoardAccess`] over the board tables) and [`SeaNoteTx`] (one transaction
//! over the note tables and the event log).
//!
//! Full-text search runs on each backend's own index (decision 0019): PostgreSQL's generated
//! `search` tsvector with `websearch_to_tsquery`, SQLite's FTS5 `notes_fts` with a `MATCH`
//! string of quoted terms. User input only ever reaches SQL as a bound parameter.

mod queries;
mod search;
mod store;

pub use store::{SeaNoteStore, SeaNoteTx};
