//! Writes: a new key (never overwriting), revoke, the throttled usage write, products.

use super::*;
use crate::store::*;

#[async_trait]
impl KeyWriter for DynamoStore {
    async fn put_new(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        self.put_if_absent(&self.tables.keys, encode(key)?, "keyHash")
            .await
    }
}

#[async_trait]
impl KeyUpdater for DynamoStore {
    async fn update(&self, key: &ApiKeyRecord, read_at: Millis) -> StoreResult<ApiKeyRecord> {
        let item = encode(key)?;
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(&key.key_hash)))
            // Only an unrevoked key, unchanged since it was read: no lost update.
            .condition_expression(
                "attribute_exists(#h) AND #u = :read AND (attribute_not_exists(#r) OR #r = :false)",
            )
            .expression_attribute_names("#h", "keyHash")
            .expression_attribute_names("#r", "revoked")
            .expression_attribute_names("#u", "updatedAt")
            .expression_attribute_values(":read", n(read_at))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":u", n(key.updated_at))
            .return_values(ReturnValue::AllNew);
        let (mut set, mut remove) = (vec!["#u = :u".to_owned()], Vec::new());
        for (i, attribute) in UPDATE_ATTRIBUTES.into_iter().enumerate() {
            update = update.expression_attribute_names(format!("#a{i}"), attribute);
            // Absent values are not stored: an emptied field is removed.
            match item.get(attribute) {
                Some(value) => {
                    update = update.expression_attribute_values(format!(":a{i}"), value.clone());
                    set.push(format!("#a{i} = :a{i}"));
                }
                None => remove.push(format!("#a{i}")),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        match update.update_expression(expression).send().await {
            Ok(out) => decode(out.attributes.unwrap_or_default()),
            Err(e) if is_condition_failure(&e) => match self.get_by_hash(&key.key_hash).await? {
                Some(_) => Err(StoreError::Changed),
                None => Err(StoreError::NotFound),
            },
            Err(e) => Err(failure("UpdateItem", &self.tables.keys, e)),
        }
    }
}

#[async_trait]
impl KeyRevoker for DynamoStore {
    async fn revoke(
        &self,
        hash: &KeyHash,
        reason: Option<&str>,
        now: Millis,
    ) -> StoreResult<ApiKeyRecord> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(hash)))
            // Items written without `revoked` (imports) count as not revoked.
            .condition_expression(
                "attribute_exists(#h) AND (attribute_not_exists(#r) OR #r = :false)",
            )
            .expression_attribute_names("#h", REVOKE_ATTRIBUTES[0])
            .expression_attribute_names("#r", REVOKE_ATTRIBUTES[1])
            .expression_attribute_names("#ra", REVOKE_ATTRIBUTES[2])
            .expression_attribute_names("#u", REVOKE_ATTRIBUTES[3])
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew);
        update = match reason {
            Some(reason) => update
                .update_expression("SET #r = :true, #ra = :now, #u = :now, #rr = :reason")
                .expression_attribute_names("#rr", REVOKE_ATTRIBUTES[4])
                .expression_attribute_values(":reason", s(reason)),
            None => update.update_expression("SET #r = :true, #ra = :now, #u = :now"),
        };
        match update.send().await {
            Ok(out) => decode(out.attributes.unwrap_or_default()),
            // Already revoked (keep the first time and reason) or absent.
            Err(e) if is_condition_failure(&e) => match self.get_by_hash(hash).await? {
                Some(key) if key.revoked => Ok(key),
                Some(_) => Err(StoreError::Backend {
                    operation: "UpdateItem",
                    source: "revoke's condition failed on a key that is not revoked".into(),
                }),
                None => Err(StoreError::NotFound),
            },
            Err(e) => Err(failure("UpdateItem", &self.tables.keys, e)),
        }
    }
}

#[async_trait]
impl UsageRecorder for DynamoStore {
    async fn touch_last_used(
        &self,
        hash: &KeyHash,
        now: Millis,
        min_interval_ms: Millis,
    ) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(hash)))
            .update_expression("SET #l = :now")
            .condition_expression(
                "attribute_exists(#h) AND (attribute_not_exists(#l) OR #l <= :threshold)",
            )
            .expression_attribute_names("#h", TOUCH_ATTRIBUTES[0])
            .expression_attribute_names("#l", TOUCH_ATTRIBUTES[1])
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":threshold", n(now - min_interval_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(failure("UpdateItem", &self.tables.keys, e)),
        }
    }
}

#[async_trait]
impl ProductWriter for DynamoStore {
    async fn put_product(&self, product: &Product) -> StoreResult<()> {
        self.put_if_absent(&self.tables.products, encode(product)?, "id")
            .await
    }
}
