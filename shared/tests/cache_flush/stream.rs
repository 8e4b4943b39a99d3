//! moto's DynamoDB Streams API, read as Lambda reads the keys table's stream.

use keyauth::edge::key_changes::StreamEvent;
use keyauth::store::dynamo::DynamoStore;
use serde_json::{Value, json};

/// moto's DynamoDB Streams API, spoken in its JSON protocol (the records it returns are
/// the records Lambda passes on, in the same shape).
pub struct Stream {
    http: reqwest::Client,
    endpoint: String,
    iterator: String,
}

impl Stream {
    async fn call(http: &reqwest::Client, endpoint: &str, action: &str, body: Value) -> Value {
        http.post(endpoint)
            .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Turns on a `NEW_AND_OLD_IMAGES` stream on the store's keys table (as the template
    /// does) and opens it at its start.
    pub async fn open(store: &DynamoStore) -> Self {
        use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType};
        let table = &store.tables().keys;
        let spec = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build()
            .unwrap();
        let client = store.client();
        client
            .update_table()
            .table_name(table)
            .stream_specification(spec)
            .send()
            .await
            .expect("stream enabled");
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let arn = described
            .table()
            .unwrap()
            .latest_stream_arn()
            .unwrap()
            .to_owned();
        let (http, endpoint) = (reqwest::Client::new(), crate::support::require_endpoint());
        let description = Self::call(
            &http,
            &endpoint,
            "DescribeStream",
            json!({"StreamArn": arn}),
        )
        .await;
        let shard = description["StreamDescription"]["Shards"][0]["ShardId"].clone();
        let opened = Self::call(
            &http,
            &endpoint,
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await;
        let iterator = opened["ShardIterator"].as_str().unwrap().to_owned();
        Self {
            http,
            endpoint,
            iterator,
        }
    }

    /// The records written since the last batch, as the event Lambda would deliver.
    pub async fn next_batch(&mut self) -> StreamEvent {
        let page = Self::call(
            &self.http,
            &self.endpoint,
            "GetRecords",
            json!({"ShardIterator": self.iterator}),
        )
        .await;
        self.iterator = page["NextShardIterator"].as_str().unwrap().to_owned();
        serde_json::from_value(json!({"Records": page["Records"]})).expect("a Lambda stream event")
    }
}
