//! API-key authentication for AWS serverless APIs: the shared crate behind every function.
//!
//! Keys are `<prefix>_<base62 body><crc32 checksum>` ([`key_format`]), stored only as
//! SHA-256 hashes ([`hashing`]) in a [`store`]. The business rules take store trait objects,
//! so they run the same in Lambda, in the local server and in tests.

pub mod authorizer;
pub mod caller;
pub mod clock;
pub mod config;
pub mod error;
pub mod fields;
pub mod gateway;
pub mod handlers;
pub mod hashing;
pub mod http;
pub mod ids;
pub mod key_format;
pub mod key_service;
pub mod model;
pub mod policy;
pub mod product_service;
pub mod routes;
pub mod scopes;
pub mod store;
pub mod telemetry;
pub mod verification;
