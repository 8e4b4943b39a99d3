//! What API Gateway itself does around the functions, for the local server and the
//! tests: the events it sends ([`events`]), how it evaluates an authorizer's policy
//! ([`policy_evaluation`]) and what it answers on its own ([`gateway_responses`]).
//!
//! Behind the `emulation` cargo feature, which the Lambda functions do not enable.

pub mod events;
pub mod gateway_responses;
pub mod policy_evaluation;
