//! `GET /keys`: one page of a subject's keys, newest first, with their live balances.

use super::{Page, live};
use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::key::ApiKeyRecord;
use crate::domain::scopes::KEYS_READ;
use crate::domain::subject::Subject;
use crate::store::{Cursor, ListFilter, ListQuery, ListStore};

/// Longest name query of `GET /keys`.
pub const MAX_QUERY_CHARS: usize = 100;

/// A listing request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListKeys {
    /// Whose keys; the caller's own subject when `None`.
    pub subject: Option<Subject>,
    /// Lower-cased substring of the name.
    pub name_contains: Option<String>,
    /// Page size, 1 to [`crate::store::MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Where the previous page ended.
    pub cursor: Option<String>,
    /// Include revoked and expired keys.
    pub include_invalid: bool,
    /// Only the keys this key id (or `operator:<tool>`) created.
    pub created_by: Option<String>,
}

/// Lists the caller's keys, or another subject's with `keys:admin`. The cursor is bound
/// to the subject it was issued for.
pub async fn list_keys(
    store: &dyn ListStore,
    caller: &Caller,
    request: ListKeys,
    now: Millis,
) -> Result<Page<ApiKeyRecord>, DomainError> {
    caller.require(KEYS_READ)?;
    let subject = request
        .subject
        .unwrap_or_else(|| Subject::trusted(&caller.subject));
    if !caller.may_act_for(subject.as_str()) {
        return Err(DomainError::Forbidden(
            "listing another subject's keys needs the scope keys:admin".to_owned(),
        ));
    }
    let cursor = request
        .cursor
        .map(|c| Cursor::decode(&c, subject.as_str()))
        .transpose()?;
    let query = ListQuery {
        limit: request.limit,
        cursor,
        filter: ListFilter {
            name_contains: request.name_contains,
            created_by: request.created_by,
            include_invalid: request.include_invalid,
            now,
        },
    };
    let mut page = store.list_by_subject(subject.as_str(), &query).await?;
    live::read_all_credits(store, &mut page.items, now).await?;
    Ok(Page {
        items: page.items,
        next_cursor: page.next.map(|c| c.encode(subject.as_str())),
    })
}
