//! `GET /keys`: one page of a subject's keys, newest first.

use super::{MAX_QUERY_CHARS, validate_subject};
use crate::api::{ApiKeyView, KeyList, ListParams};
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::fields::optional_text;
use crate::scopes::KEYS_READ;
use crate::store::{Cursor, KeyLister, ListFilter, ListQuery};

/// Lists the caller's keys, or another subject's with `keys:admin`. The cursor is bound
/// to the subject it was issued for.
pub async fn list_keys(
    store: &dyn KeyLister,
    caller: &Caller,
    params: ListParams,
    now: Millis,
) -> Result<KeyList, ApiError> {
    caller.require(KEYS_READ)?;
    let subject = params.subject.unwrap_or_else(|| caller.subject.clone());
    validate_subject("subject", &subject)?;
    if !caller.may_act_for(&subject) {
        return Err(ApiError::Forbidden(
            "listing another subject's keys needs the scope keys:admin".to_owned(),
        ));
    }
    let name_contains =
        optional_text("query", params.query, MAX_QUERY_CHARS)?.map(|q| q.to_lowercase());
    let cursor = params
        .cursor
        .map(|c| Cursor::decode(&c, &subject))
        .transpose()?;
    let query = ListQuery {
        limit: params.limit,
        cursor,
        filter: ListFilter {
            name_contains,
            created_by: params.created_by,
            include_invalid: params.include_invalid,
            now,
        },
    };
    let page = store.list_by_subject(&subject, &query).await?;
    Ok(KeyList {
        data: page.items.iter().map(|k| ApiKeyView::of(k, now)).collect(),
        next_cursor: page.next.map(|c| c.encode(&subject)),
    })
}
