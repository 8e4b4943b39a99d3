//! End to end over HTTP through the local server: API Gateway's behaviour in front of the
//! real authorizer and handlers. Each flow runs on the in-memory store and on DynamoDB
//! (moto's server from `scripts/test`, reached through `AWS_ENDPOINT_URL_DYNAMODB`).

mod cache;
mod containment;
mod keys;
mod leaks;
mod lifecycle;
mod limits;
mod proxy;
mod robustness;

use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::subject::Subject;
use keyauth::edge::config::{Config, TableNames};
use keyauth::operations::bootstrap::{admin_key, issue_operator_key};
use keyauth::store::Store;
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use keyauth::store::memory::MemoryStore;
use keyauth::store::tables::ensure_tables;
use local_api::LocalApi;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub struct Server {
    pub url: String,
    pub admin: String,
    pub client: reqwest::Client,
    pub dynamo: Option<DynamoStore>,
    pub memory: Option<Arc<MemoryStore>>,
    _task: tokio::task::JoinHandle<()>,
}

/// The authorizer cache TTL the cached flows run with, the template's usual choice.
const CACHE_TTL: Duration = Duration::from_secs(300);

async fn start(
    store: Arc<dyn Store>,
    dynamo: Option<DynamoStore>,
    memory: Option<Arc<MemoryStore>>,
    cache_ttl: Duration,
) -> Server {
    let config = Config::from_lookup(|_| None).unwrap();
    start_with(config, store, dynamo, memory, cache_ttl, None, None).await
}

async fn start_with(
    config: Config,
    store: Arc<dyn Store>,
    dynamo: Option<DynamoStore>,
    memory: Option<Arc<MemoryStore>>,
    cache_ttl: Duration,
    signing_keys: Option<keyauth::edge::leaks::SigningKeys>,
    upstream: Option<proxy::Upstream>,
) -> Server {
    // As the server's start-up key: every scope, a protected service's too.
    let mut first = admin_key("admin", Subject::trusted("admin"), None);
    if let Some(upstream) = &upstream {
        first.scopes.extend(upstream.routes.scopes());
    }
    let admin = issue_operator_key(
        &*store,
        &config.key_prefix,
        &Caller::operator("e2e"),
        first,
        now_ms(),
    )
    .await
    .unwrap()
    .secret
    .into_inner();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut api = LocalApi::new(store, config).with_authorizer_cache(cache_ttl);
    if let Some(keys) = signing_keys {
        api = api.with_signing_keys(keys);
    }
    if let Some(upstream) = upstream {
        api = api.with_upstream(upstream.routes, &upstream.url, upstream.timeout);
    }
    tokio::spawn(api.clone().continue_cascades());
    let router = api.router();
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Server {
        url,
        admin,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        dynamo,
        memory,
        _task: task,
    }
}

async fn memory_server() -> Server {
    memory_server_with(Duration::ZERO).await
}

async fn memory_server_with(cache_ttl: Duration) -> Server {
    let memory = Arc::new(MemoryStore::new());
    start(memory.clone(), None, Some(memory), cache_ttl).await
}

async fn dynamo_server() -> Server {
    dynamo_server_with(Duration::ZERO).await
}

async fn dynamo_server_with(cache_ttl: Duration) -> Server {
    dynamo_server_on(cache_ttl, None).await
}

async fn dynamo_server_with_keys(keys: keyauth::edge::leaks::SigningKeys) -> Server {
    dynamo_server_on(Duration::ZERO, Some(keys)).await
}

async fn dynamo_server_on(
    cache_ttl: Duration,
    signing_keys: Option<keyauth::edge::leaks::SigningKeys>,
) -> Server {
    dynamo_server_full(cache_ttl, signing_keys, None).await
}

async fn dynamo_server_full(
    cache_ttl: Duration,
    signing_keys: Option<keyauth::edge::leaks::SigningKeys>,
    upstream: Option<proxy::Upstream>,
) -> Server {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect(
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run scripts/test, which starts a local DynamoDB",
    );
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let suffix = keyauth::domain::ids::new_product_id().unwrap();
    let tables = TableNames {
        keys: format!("e2e-keys-{suffix}"),
        events: format!("e2e-events-{suffix}"),
        products: format!("e2e-products-{suffix}"),
        usage: format!("e2e-usage-{suffix}"),
    };
    ensure_tables(&client, &tables).await.unwrap();
    let store = DynamoStore::new(client, tables);
    start_with(
        Config::from_lookup(|_| None).unwrap(),
        Arc::new(store.clone()),
        Some(store),
        None,
        cache_ttl,
        signing_keys,
        upstream,
    )
    .await
}

impl Server {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let response = req.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: body is not JSON: {text}"));
        (status, json)
    }

    /// Creates a key with the admin key; returns (id, secret).
    pub async fn key(&self, subject: &str, scopes: &[&str], extra: Value) -> (String, String) {
        let mut body =
            json!({"name": format!("{subject} key"), "subject": subject, "scopes": scopes});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        let (status, key) = self
            .send("POST", "/keys", Some(&self.admin), Some(&body))
            .await;
        assert_eq!(status, 201, "{key}");
        (
            key["id"].as_str().unwrap().to_owned(),
            key["secret"].as_str().unwrap().to_owned(),
        )
    }
}

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

macro_rules! flows {
    ($($flow:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $flow() {
                    super::$flow(super::memory_server().await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
                async fn $flow() {
                    super::$flow(super::dynamo_server().await).await;
                }
            )*
        }
        // The same flows with API Gateway's authorizer cache on: every change made through
        // the API flushes it, and an expired key's cached policy is refused by the function.
        mod memory_cached {
            $(
                #[tokio::test]
                async fn $flow() {
                    super::$flow(super::memory_server_with(super::CACHE_TTL).await).await;
                }
            )*
        }
        mod dynamodb_cached {
            $(
                #[tokio::test]
                #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
                async fn $flow() {
                    super::$flow(super::dynamo_server_with(super::CACHE_TTL).await).await;
                }
            )*
        }
    };
}

use containment::a_narrow_cascade_spares_a_wider_descendant;
use keys::{
    cascade, expiry, full_flow, isolation_and_escalation, pagination, update_takes_effect_at_once,
};
use lifecycle::{expired_keys_are_revived_only_by_an_admin, reroll_with_grace};
use robustness::{concurrent_writes, malformed_requests};

flows!(
    full_flow,
    expiry,
    isolation_and_escalation,
    pagination,
    malformed_requests,
    concurrent_writes,
    cascade,
    update_takes_effect_at_once,
    reroll_with_grace,
    expired_keys_are_revived_only_by_an_admin,
    a_narrow_cascade_spares_a_wider_descendant,
);

/// Usage limits, with the cache off (the template's default; with it on they are refused).
mod limits_flows {
    macro_rules! limit_flows {
        ($($flow:ident),* $(,)?) => {
            mod memory {
                $(
                    #[tokio::test]
                    async fn $flow() {
                        crate::limits::$flow(crate::memory_server().await).await;
                    }
                )*
            }
            mod dynamodb {
                $(
                    #[tokio::test]
                    #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
                    async fn $flow() {
                        crate::limits::$flow(crate::dynamo_server().await).await;
                    }
                )*
            }
        };
    }
    limit_flows!(
        credits_run_out,
        rate_limited,
        concurrent_credits_are_exact,
        children_spend_their_parents_credits,
    );

    #[tokio::test]
    async fn refused_with_the_cache_on() {
        let server = crate::memory_server_with(crate::CACHE_TTL).await;
        crate::limits::refused_with_the_cache_on(server).await;
    }

    /// A key given limits while the cache was off, then served with the cache on: refused.
    #[tokio::test]
    async fn a_limited_key_behind_a_raised_cache_is_refused() {
        let memory = std::sync::Arc::new(crate::MemoryStore::new());
        let before = crate::start(
            memory.clone(),
            None,
            Some(memory.clone()),
            Default::default(),
        );
        let after = crate::start(memory.clone(), None, Some(memory), crate::CACHE_TTL);
        crate::limits::refused_behind_a_raised_cache(before.await, after.await).await;
    }
}

/// GitHub's leak report, in memory and on moto.
mod leak_reports {
    #[tokio::test]
    async fn memory() {
        let github = crate::leaks::GitHub::new();
        let memory = std::sync::Arc::new(crate::MemoryStore::new());
        let server = crate::start_with(
            crate::Config::from_lookup(|_| None).unwrap(),
            memory.clone(),
            None,
            Some(memory),
            std::time::Duration::ZERO,
            Some(github.keys()),
            None,
        )
        .await;
        crate::leaks::a_leak_report_revokes_the_key(server, github).await;
    }

    #[tokio::test]
    async fn family_in_memory() {
        let github = crate::leaks::GitHub::new();
        let memory = std::sync::Arc::new(crate::MemoryStore::new());
        let keys = Some(github.keys());
        let server = crate::start_with(
            crate::Config::from_lookup(|_| None).unwrap(),
            memory.clone(),
            None,
            Some(memory),
            Default::default(),
            keys,
            None,
        )
        .await;
        crate::containment::leaks_take_the_family(server, github).await;
    }

    #[tokio::test]
    #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
    async fn dynamodb() {
        let github = crate::leaks::GitHub::new();
        let server = crate::dynamo_server_with_keys(github.keys()).await;
        crate::leaks::a_leak_report_revokes_the_key(server, github).await;
    }

    #[tokio::test]
    #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
    async fn family_on_dynamodb() {
        let github = crate::leaks::GitHub::new();
        let server = crate::dynamo_server_with_keys(github.keys()).await;
        crate::containment::leaks_take_the_family(server, github).await;
    }
}

/// The flows that need API Gateway's authorizer cache on (`--authorizer-cache-ttl 300`).
mod cached {
    #[tokio::test]
    async fn memory() {
        let server = super::memory_server_with(super::CACHE_TTL).await;
        super::cache::changes_flush_the_cache(server).await;
        let server = super::memory_server_with(super::CACHE_TTL).await;
        super::lifecycle::reroll_stops_the_old_key_at_once(server).await;
    }

    #[tokio::test]
    #[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
    async fn dynamodb() {
        let server = super::dynamo_server_with(super::CACHE_TTL).await;
        super::cache::changes_flush_the_cache(server).await;
        let server = super::dynamo_server_with(super::CACHE_TTL).await;
        super::lifecycle::reroll_stops_the_old_key_at_once(server).await;
    }
}
