//! Reads of one key: by hash (the authorizer's strongly consistent read) and by public id.

use crate::store::ApiKeyRecord;
use crate::store::KeyHash;
use crate::store::KeyReader;
use crate::store::StoreResult;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::ID_INDEX;
use crate::store::dynamo::decode;
use crate::store::dynamo::failure;
use crate::store::dynamo::s;
use async_trait::async_trait;
#[async_trait]
impl KeyReader for DynamoStore {
    async fn get_by_hash(&self, hash: &KeyHash) -> StoreResult<Option<ApiKeyRecord>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(hash)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", &self.tables.keys, e))?;
        out.item.map(decode).transpose()
    }

    async fn get_by_id(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.keys)
            .index_name(ID_INDEX)
            .key_condition_expression("#id = :id")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":id", s(id))
            .limit(1)
            .send()
            .await
            .map_err(|e| failure("Query", &self.tables.keys, e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(decode)
            .transpose()
    }
}
