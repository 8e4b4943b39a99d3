//! moto's EventBridge: the key-changes bus with the rule the template gives the flush
//! function (its pattern read from `template.yaml`), delivering to an SQS queue that the
//! test reads in place of the function.

use aws_sdk_eventbridge::types::Target;
use keyauth::edge::cache_flush::KeyChangesEvent;
use keyauth::edge::key_changes::EventBridgeBus;
use keyauth::store::dynamo::sdk_config;
use std::path::Path;

pub struct Bus {
    pub events: aws_sdk_eventbridge::Client,
    pub name: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

/// The pattern of the rule that invokes the flush function in `template.yaml`.
pub fn template_pattern() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let template: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rule = &template["Resources"]["FlushAuthorizerCacheFunction"]["Properties"]["Events"]["OnKeyChanges"]
        ["Properties"];
    serde_json::to_string(&rule["Pattern"]).unwrap()
}

impl Bus {
    /// A bus of its own, a rule with the template's pattern on it, and a queue as its target.
    pub async fn start() -> Self {
        let endpoint = crate::support::require_endpoint();
        let config = sdk_config().await;
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&config)
                .endpoint_url(&endpoint)
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&config)
                .endpoint_url(&endpoint)
                .build(),
        );
        let name = format!(
            "key-changes-{}",
            keyauth::domain::ids::new_product_id().unwrap()
        );
        events
            .create_event_bus()
            .name(&name)
            .send()
            .await
            .expect("bus created");
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .expect("queue created")
            .queue_url()
            .unwrap()
            .to_owned();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let queue_arn = attributes.attributes().unwrap()
            [&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        events
            .put_rule()
            .name("flush")
            .event_bus_name(&name)
            .event_pattern(template_pattern())
            .send()
            .await
            .expect("rule created");
        let target = Target::builder()
            .id("flush")
            .arn(queue_arn)
            .build()
            .unwrap();
        events
            .put_targets()
            .rule("flush")
            .event_bus_name(&name)
            .targets(target)
            .send()
            .await
            .expect("target set");
        Self {
            events,
            name,
            sqs,
            queue_url,
        }
    }

    /// The bus as the publisher function sees it.
    pub fn publisher(&self) -> EventBridgeBus {
        EventBridgeBus::new(self.events.clone(), self.name.clone())
    }

    /// The events the rule delivered since the last call, as the flush function receives
    /// them, with their raw text.
    pub async fn delivered(&self) -> Vec<(KeyChangesEvent, String)> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let mut events = Vec::new();
        for message in received.messages() {
            let body = message.body().unwrap().to_owned();
            events.push((serde_json::from_str(&body).unwrap(), body));
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        events
    }
}
