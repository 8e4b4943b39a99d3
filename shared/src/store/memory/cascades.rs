//! Cascade jobs in memory, beside the keys whose item holds them in DynamoDB.

use super::MemoryStore;
use crate::domain::audit::KeyEvent;
use crate::domain::cascade::{CascadeJob, CascadeState};
use crate::store::CascadeJournal;
use crate::store::KeyHash;
use crate::store::PendingCascades;
use crate::store::StoreError;
use crate::store::StoreResult;
use async_trait::async_trait;

/// A job and its state.
pub(super) type Kept = (CascadeJob, CascadeState);

#[async_trait]
impl CascadeJournal for MemoryStore {
    async fn save_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        state: CascadeState,
        replacing: Option<&str>,
    ) -> StoreResult<bool> {
        // Under the keys lock, as the job shares the key's item.
        let keys = self.keys.read().expect("lock");
        if !keys.contains_key(root) {
            return Err(StoreError::NotFound);
        }
        let mut cascades = self.cascades.write().expect("lock");
        if let Some(id) = replacing
            && cascades.get(root).is_none_or(|(kept, _)| kept.id != id)
        {
            return Ok(false);
        }
        cascades.insert(root.clone(), (job.clone(), state));
        Ok(true)
    }

    async fn cascade_of(&self, root: &KeyHash) -> StoreResult<Option<Kept>> {
        Ok(self.cascades.read().expect("lock").get(root).cloned())
    }

    async fn finish_cascade(
        &self,
        root: &KeyHash,
        job: &CascadeJob,
        event: &KeyEvent,
    ) -> StoreResult<bool> {
        let _keys = self.keys.write().expect("lock");
        let mut cascades = self.cascades.write().expect("lock");
        match cascades.get_mut(root) {
            Some(kept) if kept.0.id == job.id => {
                *kept = (job.clone(), CascadeState::Done);
                self.record(&[event]);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl PendingCascades for MemoryStore {
    async fn pending_cascades(&self) -> StoreResult<Vec<KeyHash>> {
        Ok(self
            .cascades
            .read()
            .expect("lock")
            .iter()
            .filter(|(_, (_, state))| *state == CascadeState::Pending)
            .map(|(root, _)| root.clone())
            .collect())
    }
}
