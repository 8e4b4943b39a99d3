//! The usage table: credit balances and rate-limit windows. Each change is one conditional
//! `UpdateItem`, so concurrent requests never overspend; only a refusal or a refill reads.

use crate::domain::limits::{
    self, Balance, BalanceWrite, CreditsSpend, RateLimit, RateTake, Refill, Window,
};
use crate::store::Millis;
use crate::store::StoreError;
use crate::store::StoreResult;
use crate::store::UsageLimiter;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::EXPIRES_AT;
use crate::store::dynamo::decode;
use crate::store::dynamo::encode;
use crate::store::dynamo::failure;
use crate::store::dynamo::is_condition_failure;
use crate::store::dynamo::n;
use crate::store::dynamo::s;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

/// How often a spend starts again after losing a race to a concurrent refill.
const SPEND_TRIES: usize = 4;
/// A window's counter outlives its window by this much before TTL may remove it.
const WINDOW_LINGER_SECONDS: i64 = 60;

/// A credits counter as stored.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceItem {
    id: String,
    remaining: u64,
    refilled_at: Millis,
}

/// A window counter as stored (its other attributes are the name and the TTL).
#[derive(Deserialize)]
struct WindowItem {
    count: u64,
}

fn number(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl DynamoStore {
    /// A balance's change as one action of its key's transaction.
    pub(super) fn balance_action(
        &self,
        limits_id: &str,
        write: &BalanceWrite,
    ) -> StoreResult<TransactWriteItem> {
        let id = limits::credits_counter(limits_id);
        let corrupt = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Corrupt(Box::new(e));
        Ok(match write {
            BalanceWrite::Set(balance) => {
                let item = encode(&BalanceItem {
                    id,
                    remaining: balance.remaining,
                    refilled_at: balance.refilled_at,
                })?;
                let put = Put::builder()
                    .table_name(&self.tables.usage)
                    .set_item(Some(item))
                    .build()
                    .map_err(corrupt)?;
                TransactWriteItem::builder().put(put).build()
            }
            BalanceWrite::Remove => {
                let delete = Delete::builder()
                    .table_name(&self.tables.usage)
                    .key("id", s(&id))
                    .build()
                    .map_err(corrupt)?;
                TransactWriteItem::builder().delete(delete).build()
            }
        })
    }

    async fn read_counter<T: serde::de::DeserializeOwned>(
        &self,
        id: &str,
    ) -> StoreResult<Option<T>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.usage)
            .key("id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failure("GetItem", &self.tables.usage, e))?;
        out.item.map(decode).transpose()
    }

    async fn window_count(&self, id: &str) -> StoreResult<u64> {
        Ok(self
            .read_counter::<WindowItem>(id)
            .await?
            .map_or(0, |w| w.count))
    }

    /// The common spend in one write: enough left and no refill due (the balance was set
    /// or refilled at or after `period_start`). `None` when the condition refused it.
    async fn try_spend(
        &self,
        id: &str,
        cost: u64,
        period_start: Option<Millis>,
    ) -> StoreResult<Option<u64>> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.usage)
            .key("id", s(id))
            .update_expression("SET #r = #r - :cost")
            .expression_attribute_names("#r", "remaining")
            .expression_attribute_values(":cost", number(cost))
            .return_values(ReturnValue::UpdatedNew);
        request = match period_start {
            Some(start) => request
                .condition_expression("#r >= :cost AND #at >= :start")
                .expression_attribute_names("#at", "refilledAt")
                .expression_attribute_values(":start", n(start)),
            None => request.condition_expression("#r >= :cost"),
        };
        match request.send().await {
            Ok(out) => {
                let after: BalanceRemaining = decode(out.attributes.unwrap_or_default())?;
                Ok(Some(after.remaining))
            }
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(failure("UpdateItem", &self.tables.usage, e)),
        }
    }

    /// Stores `after` if the balance is still the one `seen` (none, or refilled at the same
    /// time): a refill wins once. Returns whether it was stored.
    async fn replace_balance(
        &self,
        id: &str,
        seen: Option<Balance>,
        after: Balance,
    ) -> StoreResult<bool> {
        let item = encode(&BalanceItem {
            id: id.to_owned(),
            remaining: after.remaining,
            refilled_at: after.refilled_at,
        })?;
        let request = self
            .client
            .put_item()
            .table_name(&self.tables.usage)
            .set_item(Some(item));
        let request = match seen {
            Some(seen) => request
                .condition_expression("#at = :seen")
                .expression_attribute_names("#at", "refilledAt")
                .expression_attribute_values(":seen", n(seen.refilled_at)),
            None => request
                .condition_expression("attribute_not_exists(#id)")
                .expression_attribute_names("#id", "id"),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(failure("PutItem", &self.tables.usage, e)),
        }
    }
}

/// The `remaining` attribute an update returns.
#[derive(Deserialize)]
struct BalanceRemaining {
    remaining: u64,
}

#[async_trait]
impl UsageLimiter for DynamoStore {
    async fn take_rate(
        &self,
        limits_id: &str,
        limit: &RateLimit,
        window: &Window,
        cost: u64,
    ) -> StoreResult<RateTake> {
        let id = limits::window_counter(limits_id, window);
        if cost == 0 || cost > limit.limit {
            let count = self.window_count(&id).await?;
            let allowed = cost == 0 && count < limit.limit;
            return Ok(RateTake { allowed, count });
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.usage)
            .key("id", s(&id))
            .update_expression("ADD #c :cost SET #e = :expires")
            .condition_expression("attribute_not_exists(#c) OR #c <= :max")
            .expression_attribute_names("#c", "count")
            .expression_attribute_names("#e", EXPIRES_AT)
            .expression_attribute_values(":cost", number(cost))
            .expression_attribute_values(":max", number(limit.limit - cost))
            .expression_attribute_values(
                ":expires",
                n(window.reset.div_euclid(1000) + WINDOW_LINGER_SECONDS),
            )
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let after: WindowItem = decode(out.attributes.unwrap_or_default())?;
                Ok(RateTake {
                    allowed: true,
                    count: after.count,
                })
            }
            Err(e) if is_condition_failure(&e) => Ok(RateTake {
                allowed: false,
                count: self.window_count(&id).await?,
            }),
            Err(e) => Err(failure("UpdateItem", &self.tables.usage, e)),
        }
    }

    async fn spend_credits(
        &self,
        limits_id: &str,
        cost: u64,
        refill: Option<&Refill>,
        now: Millis,
    ) -> StoreResult<CreditsSpend> {
        let id = limits::credits_counter(limits_id);
        let period_start = refill.map(|r| r.interval.period_start(now));
        for _ in 0..SPEND_TRIES {
            if cost > 0
                && let Some(remaining) = self.try_spend(&id, cost, period_start).await?
            {
                return Ok(CreditsSpend {
                    allowed: true,
                    remaining,
                });
            }
            // Refused, or a check, or a refill is due: read, then decide.
            let seen = self.credits(limits_id).await?;
            let balance = seen.unwrap_or(Balance {
                remaining: 0,
                refilled_at: 0,
            });
            let decision = limits::decide(balance, cost, refill, now);
            match decision.store {
                None => return Ok(decision.spend),
                Some(after) if after.refilled_at != balance.refilled_at => {
                    if self.replace_balance(&id, seen, after).await? {
                        return Ok(decision.spend);
                    }
                }
                // The read allows what the write refused a moment ago: a refill came
                // between them. Start again.
                Some(_) => {}
            }
        }
        Err(StoreError::Changed)
    }

    async fn set_credits(&self, limits_id: &str, balance: Balance) -> StoreResult<()> {
        let item = encode(&BalanceItem {
            id: limits::credits_counter(limits_id),
            remaining: balance.remaining,
            refilled_at: balance.refilled_at,
        })?;
        self.client
            .put_item()
            .table_name(&self.tables.usage)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| failure("PutItem", &self.tables.usage, e))?;
        Ok(())
    }

    async fn credits(&self, limits_id: &str) -> StoreResult<Option<Balance>> {
        Ok(self
            .read_counter::<BalanceItem>(&limits::credits_counter(limits_id))
            .await?
            .map(|b| Balance {
                remaining: b.remaining,
                refilled_at: b.refilled_at,
            }))
    }
}
