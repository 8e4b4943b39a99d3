//! API-key authentication for AWS serverless APIs: the shared crate behind every function.
//!
//! Keys are `<prefix>_<base62 body><crc32 checksum>` ([`key_format`]), stored only as
//! SHA-256 hashes ([`hashing`]) in a [`store`]. The rules ([`keys`], [`products`],
//! [`authorizer`]) take store trait objects, so they run the same in Lambda, in the local
//! server and in tests; [`handlers`] are the functions' HTTP entry points and [`api`] their
//! wire types. `emulation` (feature `emulation`) is API Gateway's side, for the local
//! server and tests only.
#![warn(missing_docs)]

pub mod api;
pub mod audit;
pub mod authorizer;
#[cfg(feature = "cache-flush")]
pub mod cache_flush;
pub mod caller;
pub mod clock;
pub mod config;
#[cfg(feature = "emulation")]
pub mod emulation;
pub mod error;
pub mod fields;
pub mod handlers;
pub mod hashing;
pub mod http;
pub mod ids;
pub mod key_format;
pub mod keys;
#[cfg(feature = "secret-scanning")]
pub mod leaks;
pub mod limits;
pub mod model;
pub mod policy;
pub mod products;
pub mod random;
pub mod routes;
pub mod scopes;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod verification;
