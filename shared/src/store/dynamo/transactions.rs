//! `TransactWriteItems`: every change of a key is written with its audit event in one
//! transaction. The pieces (an event's put, a conditional put) and how a cancelled
//! transaction is read back.

use crate::domain::audit::KeyEvent;
use crate::store::KeyHash;
use crate::store::StoreError;
use crate::store::StoreResult;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::EXPIRES_AT;
use crate::store::dynamo::Item;
use crate::store::dynamo::encode;
use crate::store::dynamo::failure;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

/// Why DynamoDB cancelled a transaction, action by action.
pub(super) enum Cancelled {
    /// These actions (by position) failed their condition; nothing was written.
    Conditions(Vec<bool>),
    /// Another transaction touched the same items at the same moment; nothing was written.
    Conflict,
}

impl Cancelled {
    /// Whether the action at `position` failed its condition.
    pub(super) fn failed(&self, position: usize) -> bool {
        matches!(self, Self::Conditions(failed) if failed.get(position) == Some(&true))
    }
}

/// A cancelled transaction, or any other failure as a store error.
pub(super) enum TransactError {
    Cancelled(Cancelled),
    Store(StoreError),
}

impl From<StoreError> for TransactError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl DynamoStore {
    /// Writes `actions` atomically.
    pub(super) async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> Result<(), TransactError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        let e = match result {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let mut throttled = false;
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            e.as_service_error()
        {
            let codes: Vec<Option<&str>> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code())
                .collect();
            let failed: Vec<bool> = codes
                .iter()
                .map(|c| *c == Some("ConditionalCheckFailed"))
                .collect();
            if failed.contains(&true) {
                return Err(TransactError::Cancelled(Cancelled::Conditions(failed)));
            }
            if codes.contains(&Some("TransactionConflict")) {
                return Err(TransactError::Cancelled(Cancelled::Conflict));
            }
            throttled = codes.contains(&Some("ThrottlingError"));
        }
        if throttled {
            return Err(TransactError::Store(StoreError::Unavailable {
                operation: "TransactWriteItems",
                source: Box::new(e),
            }));
        }
        // The call spans the keys, events and (with credits) usage tables; a missing one is
        // named by all.
        let tables = format!(
            "{}, {} or {}",
            self.tables.keys, self.tables.events, self.tables.usage
        );
        Err(TransactError::Store(failure(
            "TransactWriteItems",
            &tables,
            e,
        )))
    }

    /// Puts an audit event (never overwriting one), with its TTL attribute.
    pub(super) fn put_event(&self, event: &KeyEvent) -> StoreResult<TransactWriteItem> {
        let mut item = encode(event)?;
        item.insert(
            EXPIRES_AT.to_owned(),
            AttributeValue::N(self.retention.expires_at(event.at).to_string()),
        );
        self.put_new_item(&self.tables.events, item, "eventKey")
    }

    /// Puts `item` unless one with the same `key_attribute` exists.
    pub(super) fn put_new_item(
        &self,
        table: &str,
        item: Item,
        key_attribute: &str,
    ) -> StoreResult<TransactWriteItem> {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", key_attribute)
            .build()
            .map_err(|e| StoreError::Corrupt(Box::new(e)))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

/// An update of one key, built up clause by clause.
pub(super) struct KeyUpdate {
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    set: Vec<String>,
    remove: Vec<String>,
}

impl KeyUpdate {
    /// An update of the key with this hash, if `condition` holds. `#h` names `keyHash`.
    pub(super) fn of(store: &DynamoStore, hash: &KeyHash, condition: &str) -> Self {
        Self {
            update: Update::builder()
                .table_name(&store.tables.keys)
                .set_key(Some(DynamoStore::hash_key(hash)))
                .condition_expression(condition)
                .expression_attribute_names("#h", "keyHash"),
            set: Vec::new(),
            remove: Vec::new(),
        }
    }

    /// Names an attribute or a value the condition uses.
    pub(super) fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.update = self
            .update
            .expression_attribute_names(placeholder, attribute);
        self
    }

    /// Binds a value the condition uses.
    pub(super) fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.update = self.update.expression_attribute_values(placeholder, value);
        self
    }

    /// Sets `attribute` to `value`, or removes it when `None` (absent values are not stored).
    pub(super) fn set(mut self, attribute: &str, value: Option<AttributeValue>) -> Self {
        let i = self.set.len() + self.remove.len();
        self.update = self
            .update
            .expression_attribute_names(format!("#a{i}"), attribute);
        match value {
            Some(value) => {
                self.update = self
                    .update
                    .expression_attribute_values(format!(":a{i}"), value);
                self.set.push(format!("#a{i} = :a{i}"));
            }
            None => self.remove.push(format!("#a{i}")),
        }
        self
    }

    /// The transaction's action.
    pub(super) fn build(self) -> StoreResult<TransactWriteItem> {
        let mut expression = format!("SET {}", self.set.join(", "));
        if !self.remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", self.remove.join(", ")));
        }
        let update = self
            .update
            .update_expression(expression)
            .build()
            .map_err(|e| StoreError::Corrupt(Box::new(e)))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
