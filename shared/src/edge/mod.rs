//! The edge: where requests come in and answers go out. Lambda entry points, the authorizer,
//! the API's wire types and the one mapping of an error to an HTTP answer.

pub mod authorizer;
#[cfg(feature = "cache-flush")]
pub mod cache_flush;
#[cfg(feature = "cascade-worker")]
pub mod cascade_worker;
pub mod config;
pub mod context;
pub mod errors;
pub mod handlers;
pub mod http;
#[cfg(feature = "key-changes")]
pub mod key_changes;
#[cfg(feature = "secret-scanning")]
pub mod leaks;
pub mod startup;
pub mod telemetry;
pub mod wire;
