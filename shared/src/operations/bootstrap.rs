//! Keys made by operators with direct table access: a deployment's first admin key
//! (`keyctl create`) and the local server's start-up key. No caller rules apply, since
//! whoever can write the table can do anything; the key records which operator made it.

use super::IssuedKey;
use super::create::{NewKey, issue_key};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::key_format::KeyPrefix;
use crate::domain::scopes::{self, Scope};
use crate::domain::subject::Subject;
use crate::store::KeyWriter;

/// A key with every scope: the bootstrap admin key of `subject`.
pub fn admin_key(name: &str, subject: Subject, expiration: Option<Millis>) -> NewKey {
    NewKey {
        name: name.to_owned(),
        subject: Some(subject),
        description: None,
        scopes: scopes::ALL
            .iter()
            .filter_map(|s| Scope::parse((*s).to_owned()))
            .collect(),
        claims: None,
        expiration,
        ratelimit: None,
        credits: None,
    }
}

/// Stores the key with `createdBy` set to the operator's id (`operator:<tool>`). Returns the
/// key with its secret, shown this once.
pub async fn issue_operator_key(
    store: &dyn KeyWriter,
    prefix: &KeyPrefix,
    operator: &Caller,
    new: NewKey,
    now: Millis,
) -> Result<IssuedKey, DomainError> {
    issue_key(store, prefix, new, operator, None, now).await
}
