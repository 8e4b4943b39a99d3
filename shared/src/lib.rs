//! API-key authentication for AWS serverless APIs: the shared crate behind every function.
//!
//! Four layers, each a folder, whose imports run one way (a test of this crate holds it):
//!
//! - [`edge`]: what meets the outside: the `lambda_http` handlers, the authorizer, the
//!   leak-report and cache-flush entry points, start-up, the API's wire types and the one
//!   mapping of an error to an HTTP answer.
//! - [`operations`]: the use cases, a file each (create, list, reroll, revoke, …), taking
//!   the store ports they need and the authenticated caller.
//! - [`store`]: the ports (one small trait per capability) and their DynamoDB and
//!   in-memory implementations.
//! - [`domain`]: the values and rules: key format, hashing, ids, scopes, the key record,
//!   limits, audit events, routes and policies, and the domain's errors.
//!
//! `emulation` (feature `emulation`) is API Gateway's side, for the local server and tests
//! only.
#![warn(missing_docs)]

pub mod domain;
pub mod edge;
#[cfg(feature = "emulation")]
pub mod emulation;
pub mod operations;
pub mod store;
