//! A cascade's job, kept in three attributes of its root key's item ([`CASCADE_ATTRIBUTES`]).

use super::transactions::{KeyUpdate, TransactError};
use crate::domain::audit::KeyEvent;
use crate::domain::cascade::{CascadeJob, CascadeState};
use crate::store::CascadeJournal;
use crate::store::KeyHash;
use crate::store::PendingCascades;
use crate::store::StoreError;
use crate::store::StoreResult;
use crate::store::dynamo::CASCADE_ATTRIBUTES;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::decode;
use crate::store::dynamo::failure;
use crate::store::dynamo::s;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

const ID: &str = CASCADE_ATTRIBUTES[1];
const STATE: &str = CASCADE_ATTRIBUTES[2];
const JOB: &str = CASCADE_ATTRIBUTES[3];

/// A root as the scan reads it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Root {
    key_hash: KeyHash,
}

fn job_json(job: &CascadeJob) -> StoreResult<AttributeValue> {
    serde_json::to_string(job)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Corrupt(Box::new(e)))
}

impl DynamoStore {
    /// The update putting `job` on its root as `state`: the root must exist, and with
    /// `replacing` still hold that job.
    fn cascade_update(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        state: CascadeState,
        replacing: Option<&str>,
    ) -> StoreResult<KeyUpdate> {
        let mut update = match replacing {
            Some(id) => KeyUpdate::of(self, root, "attribute_exists(#h) AND #ci = :replacing")
                .name("#ci", ID)
                .value(":replacing", s(id)),
            None => KeyUpdate::of(self, root, "attribute_exists(#h)"),
        };
        update = update
            .set(ID, Some(s(&job.id)))
            .set(STATE, Some(s(state.as_str())))
            .set(JOB, Some(job_json(job)?));
        Ok(update)
    }
}

#[async_trait]
impl CascadeJournal for DynamoStore {
    async fn save_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        state: CascadeState,
        replacing: Option<&str>,
    ) -> StoreResult<bool> {
        let update = self.cascade_update(root, job, state, replacing)?.build()?;
        match self.transact(vec![update]).await {
            Ok(()) => Ok(true),
            Err(TransactError::Cancelled(c)) if c.failed(0) => match replacing {
                Some(_) => Ok(false),
                None => Err(StoreError::NotFound),
            },
            Err(TransactError::Cancelled(_)) => Err(StoreError::Changed),
            Err(TransactError::Store(e)) => Err(e),
        }
    }

    async fn cascade_of(&self, root: &KeyHash) -> StoreResult<Option<(CascadeJob, CascadeState)>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.keys)
            .set_key(Some(Self::hash_key(root)))
            .projection_expression("#s, #j")
            .expression_attribute_names("#s", STATE)
            .expression_attribute_names("#j", JOB)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", &self.tables.keys, e))?;
        let item = out.item.unwrap_or_default();
        let (Some(AttributeValue::S(state)), Some(AttributeValue::S(job))) =
            (item.get(STATE), item.get(JOB))
        else {
            return Ok(None);
        };
        let state = CascadeState::parse(state)
            .ok_or_else(|| StoreError::Corrupt(format!("cascade state {state:?}").into()))?;
        let job = serde_json::from_str(job).map_err(|e| StoreError::Corrupt(Box::new(e)))?;
        Ok(Some((job, state)))
    }

    async fn finish_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        event: &KeyEvent,
    ) -> StoreResult<bool> {
        let done = self
            .cascade_update(root, job, CascadeState::Done, Some(&job.id))?
            .build()?;
        match self.transact(vec![done, self.put_event(event)?]).await {
            Ok(()) => Ok(true),
            Err(TransactError::Cancelled(c)) if c.failed(0) => Ok(false),
            Err(TransactError::Cancelled(_)) => Err(StoreError::Changed),
            Err(TransactError::Store(e)) => Err(e),
        }
    }
}

#[async_trait]
impl PendingCascades for DynamoStore {
    async fn pending_cascades(&self) -> StoreResult<Vec<KeyHash>> {
        let mut roots = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.tables.keys)
                .filter_expression("#s = :pending")
                .projection_expression("keyHash")
                .expression_attribute_names("#s", STATE)
                .expression_attribute_values(":pending", s(CascadeState::Pending.as_str()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| failure("Scan", &self.tables.keys, e))?;
            for item in out.items.unwrap_or_default() {
                roots.push(decode::<Root>(item)?.key_hash);
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(roots),
            }
        }
    }
}
