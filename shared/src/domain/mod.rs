//! The domain: values and the rules on them, with no I/O. It imports nothing above it.

pub mod audit;
pub mod caller;
pub mod cascade;
pub mod clock;
pub mod error;
pub mod hashing;
pub mod ids;
pub mod json;
pub mod key;
pub mod key_change;
pub mod key_format;
pub mod limits;
pub mod policy;
pub mod product;
pub mod random;
pub mod routes;
pub mod scopes;
pub mod subject;
pub mod text;
