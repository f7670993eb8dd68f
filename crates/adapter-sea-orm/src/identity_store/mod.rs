//! Identity's stores: users and tokens ([`SeaIdentityStore`]) and the SQL session store of
//! the embedded mode ([`SeaSessionStore`]).

mod convert;
mod queries;
mod sessions;
mod store;

pub use sessions::SeaSessionStore;
pub use store::{SeaIdentityStore, SeaIdentityTx};
