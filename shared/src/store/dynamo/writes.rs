//! Writes: a new key (never overwriting), update, reroll and revoke, each in one
//! transaction with its audit event; the throttled usage write and products, alone.

use super::transactions::{Cancelled, KeyUpdate, TransactError};
use crate::domain::audit::KeyEvent;
use crate::domain::limits::{Balance, BalanceWrite};
use crate::store::ApiKeyRecord;
use crate::store::KeyHash;
use crate::store::KeyReader;
use crate::store::KeyRerollWriter;
use crate::store::KeyRevoker;
use crate::store::KeyUpdater;
use crate::store::KeyWriter;
use crate::store::Millis;
use crate::store::Product;
use crate::store::ProductWriter;
use crate::store::StoreError;
use crate::store::StoreResult;
use crate::store::UsageRecorder;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::TOUCH_ATTRIBUTES;
use crate::store::dynamo::UPDATE_ATTRIBUTES;
use crate::store::dynamo::encode;
use crate::store::dynamo::failure;
use crate::store::dynamo::is_condition_failure;
use crate::store::dynamo::n;
use crate::store::dynamo::s;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

/// An unrevoked key (items written without `revoked`, such as imports, count as
/// unrevoked) that was never rerolled and is unchanged since it was read (`:read`).
const CHANGEABLE: &str = "attribute_exists(#h) AND #u = :read \
     AND (attribute_not_exists(#r) OR #r = :false) AND attribute_not_exists(#rt)";

impl DynamoStore {
    /// The update of a key that is still as it was read at `read_at`.
    fn changeable(&self, hash: &KeyHash, read_at: Millis) -> KeyUpdate {
        KeyUpdate::of(self, hash, CHANGEABLE)
            .name("#u", "updatedAt")
            .name("#r", "revoked")
            .name("#rt", "rerolledTo")
            .value(":read", n(read_at))
            .value(":false", AttributeValue::Bool(false))
    }

    /// Why a change of a key that was read before was refused: it is gone, or changed.
    async fn refused(&self, hash: &KeyHash) -> StoreError {
        match self.get_by_hash(hash).await {
            Ok(Some(_)) => StoreError::Changed,
            Ok(None) => StoreError::NotFound,
            Err(e) => e,
        }
    }
}

#[async_trait]
impl KeyWriter for DynamoStore {
    async fn put_new(&self, key: &ApiKeyRecord, event: &KeyEvent) -> StoreResult<()> {
        let mut actions = vec![
            self.put_new_item(&self.tables.keys, encode(key)?, "keyHash")?,
            self.put_event(event)?,
        ];
        // A key that inherited its creator's limits spends the creator's balance as it is.
        if let Some(credits) = key.credits.as_ref().filter(|_| !key.inherited_limits) {
            let balance = Balance {
                remaining: credits.remaining,
                refilled_at: key.created_at,
            };
            actions.push(self.balance_action(key.limits_id(), &BalanceWrite::Set(balance))?);
        }
        match self.transact(actions).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed(0) => Err(StoreError::AlreadyExists),
            Err(TransactError::Cancelled(_)) => Err(StoreError::Changed),
            Err(TransactError::Store(e)) => Err(e),
        }
    }
}

#[async_trait]
impl KeyUpdater for DynamoStore {
    async fn update(
        &self,
        key: &ApiKeyRecord,
        read_at: Millis,
        event: &KeyEvent,
        balance: Option<&BalanceWrite>,
    ) -> StoreResult<ApiKeyRecord> {
        let item = encode(key)?;
        let mut update = self
            .changeable(&key.key_hash, read_at)
            .set("updatedAt", Some(n(key.updated_at)));
        for attribute in UPDATE_ATTRIBUTES {
            update = update.set(attribute, item.get(attribute).cloned());
        }
        let mut actions = vec![update.build()?, self.put_event(event)?];
        if let Some(balance) = balance {
            actions.push(self.balance_action(key.limits_id(), balance)?);
        }
        match self.transact(actions).await {
            Ok(()) => Ok(key.clone()),
            Err(TransactError::Cancelled(_)) => Err(self.refused(&key.key_hash).await),
            Err(TransactError::Store(e)) => Err(e),
        }
    }
}

#[async_trait]
impl KeyRerollWriter for DynamoStore {
    async fn reroll(
        &self,
        old: &ApiKeyRecord,
        read_at: Millis,
        new: &ApiKeyRecord,
        events: [&KeyEvent; 2],
    ) -> StoreResult<()> {
        let rerolled = self
            .changeable(&old.key_hash, read_at)
            .set("updatedAt", Some(n(old.updated_at)))
            .set("expiration", old.expiration.map(n))
            .set("rerolledTo", old.rerolled_to.as_deref().map(s));
        let actions = vec![
            rerolled.build()?,
            self.put_new_item(&self.tables.keys, encode(new)?, "keyHash")?,
            self.put_event(events[0])?,
            self.put_event(events[1])?,
        ];
        match self.transact(actions).await {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(c)) if c.failed(1) => Err(StoreError::AlreadyExists),
            Err(TransactError::Cancelled(_)) => Err(self.refused(&old.key_hash).await),
            Err(TransactError::Store(e)) => Err(e),
        }
    }
}

/// Times a revoke is tried when other transactions on the key keep cancelling it.
const REVOKE_ATTEMPTS: usize = 3;

#[async_trait]
impl KeyRevoker for DynamoStore {
    async fn revoke(
        &self,
        key: &ApiKeyRecord,
        reason: Option<&str>,
        event: &KeyEvent,
    ) -> StoreResult<ApiKeyRecord> {
        let mut revoked = key.clone();
        revoked.revoked = true;
        revoked.revoked_at = Some(event.at);
        revoked.updated_at = event.at;
        revoked.revocation_reason = reason.map(str::to_owned);
        for _ in 0..REVOKE_ATTEMPTS {
            // Revoke needs no read of its own: "exists, not yet revoked, still the version
            // the caller read (and judged its authority on), and last changed before this
            // revoke".
            let update = KeyUpdate::of(
                self,
                &key.key_hash,
                "attribute_exists(#h) AND (attribute_not_exists(#r) OR #r = :false) \
                 AND #u = :read AND #u < :at",
            )
            .name("#r", "revoked")
            .name("#u", "updatedAt")
            .value(":false", AttributeValue::Bool(false))
            .value(":read", n(key.updated_at))
            .value(":at", n(event.at))
            .set("revoked", Some(AttributeValue::Bool(true)))
            .set("revokedAt", Some(n(event.at)))
            .set("updatedAt", Some(n(event.at)))
            .set("revocationReason", reason.map(s));
            match self
                .transact(vec![update.build()?, self.put_event(event)?])
                .await
            {
                Ok(()) => return Ok(revoked),
                Err(TransactError::Cancelled(Cancelled::Conflict)) => continue,
                // Already revoked (the first time and reason stay), changed at or after
                // this revoke's time, or absent.
                Err(TransactError::Cancelled(_)) => {
                    return match self.get_by_hash(&key.key_hash).await? {
                        Some(stored) if stored.revoked => Ok(stored),
                        Some(_) => Err(StoreError::Changed),
                        None => Err(StoreError::NotFound),
                    };
                }
                Err(TransactError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Changed)
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
