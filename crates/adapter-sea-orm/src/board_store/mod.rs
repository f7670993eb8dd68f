//! Board's store: [`SeaBoardStore`] (the pool; reads and the start of units of work) and
//! [`SeaBoardTx`] (one transaction over the board tables and the event log).
//!
//! Row locks (`SELECT … FOR NO KEY UPDATE`, see `crate::sql::for_update`) are taken on PostgreSQL only: SQLite has one writer at a
//! time, so a write transaction is already exclusive there.

mod boards;
mod cards;
mod columns;
mod convert;
mod labels;
mod overview;
mod ranks;
mod store;
mod view;

pub use store::{SeaBoardStore, SeaBoardTx};

// Shared with the other stores; child modules reach them as `super::…`.
use crate::sql::{for_update, versioned};
