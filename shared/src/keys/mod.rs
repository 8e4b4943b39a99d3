//! Key management rules, a file per operation. Each takes the store capability it needs
//! and the authenticated [`Caller`]; nothing here knows about HTTP.

mod bootstrap;
mod create;
mod get;
mod list;
pub mod live;
mod reroll;
mod revoke;
mod update;
mod verify;

pub use bootstrap::{admin_request, issue_operator_key};
pub use create::{NewKey, create_key, issue_key};
pub use get::get_key;
pub use list::list_keys;
pub use reroll::{MAX_GRACE_PERIOD_MS, reroll_key};
pub use revoke::{CASCADE_REASON, LEAK_REPORTER, MAX_CASCADE, revoke_key, revoke_leaked};
pub use update::update_key;
pub use verify::verify_key;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::ids;
use crate::model::{ApiKeyRecord, Claims};
use crate::scopes::{self, MAX_SCOPES};
use crate::store::KeyReader;

/// Longest key name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest revocation reason.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest subject.
pub const MAX_SUBJECT_CHARS: usize = 128;
/// Largest claims object, as JSON.
pub const MAX_CLAIMS_BYTES: usize = 4096;
/// Longest name query of `GET /keys`.
pub const MAX_QUERY_CHARS: usize = 100;
/// Longest lifetime: ten years.
pub const MAX_SECONDS_UNTIL_EXPIRATION: i64 = 10 * 365 * 24 * 3600;

fn validate_subject(field: &'static str, subject: &str) -> Result<(), ApiError> {
    let ok = !subject.is_empty()
        && subject.chars().count() <= MAX_SUBJECT_CHARS
        && !subject.chars().any(crate::fields::unfit_for_identifier);
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            format!(
                "must be 1 to {MAX_SUBJECT_CHARS} characters without spaces, control or \
                 format characters"
            ),
        ))
    }
}

/// Claims are at most [`MAX_CLAIMS_BYTES`] of JSON.
fn validate_claims(field: &'static str, claims: &Claims) -> Result<(), ApiError> {
    if serde_json::to_vec(claims).map_or(usize::MAX, |b| b.len()) > MAX_CLAIMS_BYTES {
        return Err(ApiError::validation(
            field,
            format!("at most {MAX_CLAIMS_BYTES} bytes of JSON"),
        ));
    }
    Ok(())
}

/// Checks each scope's syntax and drops repeats, keeping the request's order.
fn validate_scopes(field: &'static str, requested: Vec<String>) -> Result<Vec<String>, ApiError> {
    if requested.len() > MAX_SCOPES {
        return Err(ApiError::validation(
            field,
            format!("at most {MAX_SCOPES} scopes"),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(requested.len());
    for scope in requested {
        if !scopes::is_valid_scope(&scope) {
            return Err(ApiError::validation(
                field,
                format!("{scope:?} is not a scope: use 1 to 64 of a-z 0-9 : . _ -"),
            ));
        }
        if !unique.contains(&scope) {
            unique.push(scope);
        }
    }
    Ok(unique)
}

/// A key grants only scopes its caller holds: no escalation by create or update.
fn require_held(caller: &Caller, granted: &[String]) -> Result<(), ApiError> {
    let missing = scopes::missing(&caller.scopes, granted);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a key can only grant scopes it holds; missing: {}",
            missing.join(" ")
        )))
    }
}

/// Changing a key takes every scope it holds, unless the caller has `keys:admin`: a narrow
/// `keys:write` key must not revoke a broader key of its subject, such as its admin key.
fn require_authority_over(caller: &Caller, key: &ApiKeyRecord) -> Result<(), ApiError> {
    let missing = scopes::missing(&caller.scopes, &key.scopes);
    if caller.is_admin() || missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "changing a key needs every scope it holds, or keys:admin; missing: {}",
            missing.join(" ")
        )))
    }
}

/// Finds a key the caller may see. Another subject's key is "not found", not "forbidden",
/// so ids cannot be probed.
pub(crate) async fn visible_key(
    store: &dyn KeyReader,
    caller: &Caller,
    id: &str,
) -> Result<ApiKeyRecord, ApiError> {
    if !ids::looks_like_key_id(id) {
        return Err(ApiError::key_not_found());
    }
    store
        .get_by_id(id)
        .await?
        .filter(|k| caller.may_act_for(&k.subject))
        .ok_or_else(ApiError::key_not_found)
}
