//! The key-changes bus on EventBridge: `PutEvents`, one entry per event.

use super::{ChangeBus, PublishError};
use crate::edge::wire::key_changes::{DETAIL_TYPE, KeyChangesDetail, SOURCE};
use crate::store::sdk::{Service, lambda_sdk_config_for};
use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

/// An EventBridge bus, by name or ARN.
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus: String,
}

/// The function's environment does not name the bus.
#[derive(Debug, thiserror::Error)]
#[error("KEY_CHANGES_BUS is not set: the template names the event bus key changes go to")]
pub struct BusConfigError;

impl EventBridgeBus {
    /// The bus `KEY_CHANGES_BUS` names, with a client configured as every function's (the
    /// endpoint: `AWS_ENDPOINT_URL_EVENTBRIDGE`, else `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Result<Self, BusConfigError> {
        let bus = std::env::var("KEY_CHANGES_BUS")
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or(BusConfigError)?;
        let client = Client::new(&lambda_sdk_config_for(Service::EventBridge).await);
        Ok(Self::new(client, bus))
    }

    /// The bus `bus` (a name or an ARN), through `client`.
    pub fn new(client: Client, bus: String) -> Self {
        Self { client, bus }
    }

    fn failed(&self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> PublishError {
        PublishError {
            bus: self.bus.clone(),
            source: source.into(),
        }
    }
}

#[async_trait]
impl ChangeBus for EventBridgeBus {
    async fn publish(&self, detail: &KeyChangesDetail) -> Result<(), PublishError> {
        let detail = serde_json::to_string(detail).map_err(|e| self.failed(e))?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(detail)
            .build();
        let sent = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| self.failed(e))?;
        // PutEvents answers 200 with the entries it refused counted and named.
        if sent.failed_entry_count() > 0 {
            let refused = sent.entries().iter().find_map(|e| e.error_code());
            let why = format!("entry refused: {}", refused.unwrap_or("no reason given"));
            return Err(self.failed(why));
        }
        Ok(())
    }
}
