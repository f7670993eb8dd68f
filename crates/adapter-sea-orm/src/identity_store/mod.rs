//! Identity's stores: users and tokens ([`SeaIdentityStore`]) and the SQL session store of
//! the embedded mode ([`SeaSessionStore`]).

mod convert;
mod queries;
mod sessions;
mod sso_logins;
mod store;

pub use sessions::SeaSessionStore;
pub use sso_logins::SeaSsoLoginStore;
pub use store::{SeaIdentityStore, SeaIdentityTx};
