//! Leaked keys: GitHub's secret-scanning partner endpoint. GitHub scans public code for our
//! key format and posts what it finds, signed with a key of its published set; we check the
//! signature before anything else, revoke every live key reported, and label each token.
//!
//! - [`signing_keys`]: GitHub's public keys document, fetched and kept, and the check of a
//!   report's ECDSA P-256 signature.
//! - [`report`]: the report's tokens, each judged and, when it names a live key, revoked.
//! - [`handler`]: the function's HTTP entry point.

pub mod handler;
pub mod report;
pub mod signing_keys;

pub use handler::report_leaks;
pub use signing_keys::{DEFAULT_KEYS_URL, SignatureError, SigningKeys};
