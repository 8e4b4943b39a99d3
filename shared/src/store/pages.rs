//! Queries of the listings and their pages: a subject's keys, a key's events.

use crate::domain::audit::{KeyEvent, is_past};
use crate::domain::clock::Millis;
use crate::domain::key::{ApiKeyRecord, KeyStatus};
use crate::store::cursor::Cursor;

/// Most keys one listing page holds.
pub const MAX_PAGE_SIZE: usize = 100;

/// One listing request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// 1..=[`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Start after this position; the first page when `None`.
    pub cursor: Option<Cursor>,
    /// Which keys count.
    pub filter: ListFilter,
}

/// Which keys a listing returns.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Lower-cased; matched as a substring of the lower-cased name.
    pub name_contains: Option<String>,
    /// Only keys whose `createdBy` is this (a key id, or `operator:<tool>`).
    pub created_by: Option<String>,
    /// Include revoked and expired keys.
    pub include_invalid: bool,
    /// The time expiry is judged at.
    pub now: Millis,
}

impl ListFilter {
    /// Whether a key belongs in the listing.
    pub fn matches(&self, key: &ApiKeyRecord) -> bool {
        (self.include_invalid || key.status(self.now) == KeyStatus::Active)
            && self
                .name_contains
                .as_deref()
                .is_none_or(|q| key.name.to_lowercase().contains(q))
            && self
                .created_by
                .as_deref()
                .is_none_or(|creator| key.created_by.as_deref() == Some(creator))
    }
}

/// Builds one page from keys read in listing order, for every store: it keeps the keys the
/// filter accepts until the page is full, and remembers the last key read (accepted or
/// not) as the position the next page starts after.
pub(crate) struct PageCollector<'q> {
    query: &'q ListQuery,
    page: KeyPage,
    last_read: Option<Cursor>,
}

impl<'q> PageCollector<'q> {
    pub(crate) fn new(query: &'q ListQuery) -> Self {
        Self {
            query,
            page: KeyPage::default(),
            last_read: None,
        }
    }

    /// Takes the next key read; returns true once the page is full.
    pub(crate) fn offer(&mut self, key: ApiKeyRecord) -> bool {
        self.last_read = Some(Cursor {
            created_at: key.created_at,
            id: key.id.clone(),
        });
        if self.query.filter.matches(&key) {
            self.page.items.push(key);
        }
        self.page.items.len() >= self.query.limit
    }

    /// The page, with a cursor only if keys follow the last one read.
    pub(crate) fn finish(mut self, more_follow: bool) -> KeyPage {
        self.page.next = if more_follow { self.last_read } else { None };
        self.page
    }
}

/// One request for a key's events.
#[derive(Debug, Clone)]
pub struct EventQuery {
    /// 1..=[`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Start after this event (its `at` and id); the newest when `None`.
    pub cursor: Option<Cursor>,
    /// Events past their retention at this time are skipped.
    pub now: Millis,
}

/// One page of a key's events.
#[derive(Debug, Clone, Default)]
pub struct EventPage {
    /// The events, newest first.
    pub items: Vec<KeyEvent>,
    /// Where the next page starts; `None` when the listing is complete.
    pub next: Option<Cursor>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct KeyPage {
    /// The keys, newest first.
    pub items: Vec<ApiKeyRecord>,
    /// Where the next page starts; `None` when the listing is complete.
    pub next: Option<Cursor>,
}

/// A page from up to `limit + 1` events read newest first, each with its expiry: the
/// first `limit` read, less those past retention; a cursor if one more was read.
pub(crate) fn event_page(
    read: impl Iterator<Item = (KeyEvent, i64)>,
    query: &EventQuery,
) -> EventPage {
    let mut page = EventPage::default();
    let mut last = None;
    for (count, (event, expires_at)) in read.enumerate() {
        if count == query.limit {
            page.next = last;
            break;
        }
        last = Some(Cursor {
            created_at: event.at,
            id: event.id.clone(),
        });
        if !is_past(expires_at, query.now) {
            page.items.push(event);
        }
    }
    page
}
