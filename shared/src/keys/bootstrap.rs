//! Keys made by operators with direct table access: a deployment's first admin key
//! (`keyctl create`) and the local server's start-up key. No caller rules apply, since
//! whoever can write the table can do anything; the key records which operator made it.

use super::create::{NewKey, issue_key};
use crate::api::{ApiKeyView, CreateKeyRequest};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::key_format::KeyPrefix;
use crate::scopes;
use crate::store::KeyWriter;

/// A request for a key with every scope: the bootstrap admin key of `subject`.
pub fn admin_request(
    name: &str,
    subject: &str,
    seconds_until_expiration: Option<i64>,
) -> CreateKeyRequest {
    CreateKeyRequest {
        name: name.to_owned(),
        subject: Some(subject.to_owned()),
        scopes: Some(scopes::ALL.map(String::from).to_vec()),
        seconds_until_expiration,
        ..Default::default()
    }
}

/// Validates the request as create does, then stores the key with `createdBy` set to the
/// operator's id (`operator:<tool>`). Returns the key with its secret, shown this once.
pub async fn issue_operator_key(
    store: &dyn KeyWriter,
    prefix: &KeyPrefix,
    operator: &Caller,
    request: CreateKeyRequest,
    now: Millis,
) -> Result<ApiKeyView, ApiError> {
    let new = NewKey::validate(request, &operator.subject, now)?;
    issue_key(store, prefix, new, operator, now).await
}
