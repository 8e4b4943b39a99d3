//! Listings: a subject's keys newest first, page by page, and the keys a key created.

use crate::domain::cascade::KeyRef;
use crate::store::Cursor;
use crate::store::KeyLister;
use crate::store::KeyPage;
use crate::store::KeyReader;
use crate::store::ListQuery;
use crate::store::MAX_PAGE_SIZE;
use crate::store::PageCollector;
use crate::store::StoreError;
use crate::store::StoreResult;
use crate::store::dynamo::CREATOR_INDEX;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::HashMap;
use crate::store::dynamo::Item;
use crate::store::dynamo::SUBJECT_INDEX;
use crate::store::dynamo::decode;
use crate::store::dynamo::failure;
use crate::store::dynamo::n;
use crate::store::dynamo::s;
use async_trait::async_trait;
/// Index pages read for one listing call at most, so a subject with thousands of
/// filtered-out keys cannot make one request scan them all; the cursor resumes.
const MAX_PAGES_PER_LIST: usize = 10;

impl DynamoStore {
    /// Turns a cursor back into the index's `ExclusiveStartKey`, refusing any cursor
    /// that does not name a key of this subject at that position.
    async fn start_key(&self, subject: &str, cursor: &Cursor) -> StoreResult<Item> {
        let key = self
            .get_by_id(&cursor.id)
            .await?
            .filter(|k| k.subject == subject && k.created_at == cursor.created_at)
            .ok_or(StoreError::InvalidCursor)?;
        Ok(HashMap::from([
            ("keyHash".to_owned(), s(key.key_hash.as_str())),
            ("subject".to_owned(), s(&key.subject)),
            ("createdAt".to_owned(), n(key.created_at)),
        ]))
    }
}

#[async_trait]
impl KeyLister for DynamoStore {
    async fn list_by_subject(&self, subject: &str, query: &ListQuery) -> StoreResult<KeyPage> {
        let mut start = match &query.cursor {
            Some(cursor) => Some(self.start_key(subject, cursor).await?),
            None => None,
        };
        // One more than asked, so a full page usually knows whether anything follows.
        let page_size = (query.limit + 1).min(MAX_PAGE_SIZE) as i32;
        let mut collector = PageCollector::new(query);
        for _ in 0..MAX_PAGES_PER_LIST {
            let out = self
                .client
                .query()
                .table_name(&self.tables.keys)
                .index_name(SUBJECT_INDEX)
                .key_condition_expression("#s = :s")
                .expression_attribute_names("#s", "subject")
                .expression_attribute_values(":s", s(subject))
                .scan_index_forward(false)
                .limit(page_size)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| failure("Query", &self.tables.keys, e))?;
            let more_pages = out.last_evaluated_key.is_some();
            let mut items = out.items.unwrap_or_default().into_iter().peekable();
            while let Some(item) = items.next() {
                if collector.offer(decode(item)?) {
                    return Ok(collector.finish(items.peek().is_some() || more_pages));
                }
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(collector.finish(false)),
            }
        }
        // Page budget spent: return what was found; the cursor resumes after the last key read.
        Ok(collector.finish(true))
    }

    async fn children_of(&self, creator: &str) -> StoreResult<Vec<KeyRef>> {
        let mut children = Vec::new();
        let mut start = None;
        loop {
            // Only what a walk needs: a page then holds thousands of keys, not hundreds.
            let out = self
                .client
                .query()
                .table_name(&self.tables.keys)
                .index_name(CREATOR_INDEX)
                .key_condition_expression("#c = :c")
                .projection_expression("keyHash, id, revoked, rerolledTo")
                .expression_attribute_names("#c", "createdBy")
                .expression_attribute_values(":c", s(creator))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| failure("Query", &self.tables.keys, e))?;
            for item in out.items.unwrap_or_default() {
                children.push(decode(item)?);
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(children),
            }
        }
    }
}
