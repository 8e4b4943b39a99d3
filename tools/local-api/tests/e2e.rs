//! End to end over HTTP through the local server: API Gateway's behaviour in front of the
//! real authorizer and handlers. Each flow runs on the in-memory store and on DynamoDB
//! (dynalite from `scripts/test`, reached through `AWS_ENDPOINT_URL_DYNAMODB`).

use keyauth::clock::now_ms;
use keyauth::config::{Config, TableNames};
use keyauth::key_service::{CreateKeyRequest, NewKey, issue_key};
use keyauth::store::dynamo::{DynamoStore, sdk_config};
use keyauth::store::memory::MemoryStore;
use keyauth::store::tables::ensure_tables;
use local_api::{Backend, LocalApi};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

struct Server {
    url: String,
    admin: String,
    client: reqwest::Client,
    dynamo: Option<DynamoStore>,
    memory: Option<Arc<MemoryStore>>,
    _task: tokio::task::JoinHandle<()>,
}

async fn start(
    store: Arc<dyn Backend>,
    dynamo: Option<DynamoStore>,
    memory: Option<Arc<MemoryStore>>,
) -> Server {
    let config = Config::from_lookup(|_| None).unwrap();
    let new = NewKey::validate(
        CreateKeyRequest {
            name: "admin".into(),
            subject: Some("admin".into()),
            scopes: Some(keyauth::scopes::ALL.map(String::from).to_vec()),
            ..Default::default()
        },
        "admin",
        now_ms(),
    )
    .unwrap();
    let admin = issue_key(&*store, &config.key_prefix, new, None, now_ms())
        .await
        .unwrap()
        .secret
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = LocalApi::new(store, config).router();
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
    let memory = Arc::new(MemoryStore::new());
    start(memory.clone(), None, Some(memory)).await
}

async fn dynamo_server() -> Server {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect(
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run scripts/test, which starts a local DynamoDB",
    );
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let suffix = keyauth::ids::new_product_id().unwrap();
    let tables = TableNames {
        keys: format!("e2e-keys-{suffix}"),
        products: format!("e2e-products-{suffix}"),
    };
    ensure_tables(&client, &tables).await.unwrap();
    let store = DynamoStore::new(client, tables);
    start(Arc::new(store.clone()), Some(store), None).await
}

impl Server {
    async fn send(
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
    async fn key(&self, subject: &str, scopes: &[&str], extra: Value) -> (String, String) {
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

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn full_flow(api: Server) {
    let (shop_id, shop) = api.key("user_shop", &["products:write"], json!({})).await;
    let (_, reader) = api.key("user_shop", &["keys:read"], json!({})).await;
    let (_, verifier) = api.key("svc_billing", &["keys:verify"], json!({})).await;
    let product = json!({"name": "Widget", "price": 19.99});

    let (status, created) = api
        .send("POST", "/products", Some(&shop), Some(&product))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["ownerId"], "user_shop");
    assert_eq!(created["createdByKeyId"], shop_id.as_str());
    assert_eq!(created["price"], 19.99);
    if let Some(store) = &api.dynamo {
        // Kept exact: the stored number is the decimal 19.99, not a binary approximation.
        let item = store
            .client()
            .get_item()
            .table_name(&store.tables().products)
            .key(
                "id",
                aws_sdk_dynamodb::types::AttributeValue::S(created["id"].as_str().unwrap().into()),
            )
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(item["price"].as_n().unwrap(), "19.99");
    }

    // Valid key without the scope: API Gateway's 403 from the policy.
    let (status, body) = api
        .send("POST", "/products", Some(&reader), Some(&product))
        .await;
    assert_eq!((status.as_u16(), code(&body)), (403, "forbidden"), "{body}");
    assert_eq!(
        body["message"],
        "User is not authorized to access this resource"
    );

    let (status, revoked) = api
        .send(
            "POST",
            &format!("/keys/{shop_id}/revoke"),
            Some(&api.admin),
            Some(&json!({"revocationReason": "rotated"})),
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    // The very next request with the revoked key is refused.
    let (status, body) = api
        .send("POST", "/products", Some(&shop), Some(&product))
        .await;
    assert_eq!(
        (status.as_u16(), code(&body)),
        (401, "unauthorized"),
        "{body}"
    );
    assert_eq!(body["message"], "Unauthorized");

    let (status, verdict) = api
        .send(
            "POST",
            "/keys/verify",
            Some(&verifier),
            Some(&json!({"key": shop})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["code"], "REVOKED");
    assert_eq!(verdict["key"]["revocationReason"], "rotated");
    assert!(verdict["key"].get("secret").is_none());
}

async fn expiry(api: Server) {
    let (_, short) = api
        .key(
            "user_exp",
            &["products:write"],
            json!({"secondsUntilExpiration": 2}),
        )
        .await;
    let product = json!({"name": "Widget", "price": 1});
    let (status, _) = api
        .send("POST", "/products", Some(&short), Some(&product))
        .await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (status, _) = api
        .send("POST", "/products", Some(&short), Some(&product))
        .await;
    assert_eq!(status, 401, "expired keys are refused");
    let (_, verdict) = api
        .send(
            "POST",
            "/keys/verify",
            Some(&api.admin),
            Some(&json!({"key": short})),
        )
        .await;
    assert_eq!(verdict["code"], "EXPIRED");
    assert_eq!(verdict["key"]["expired"], true);
}

async fn isolation_and_escalation(api: Server) {
    let (a_id, a) = api
        .key("user_a", &["keys:read", "keys:write"], json!({}))
        .await;
    let (b_id, _) = api.key("user_b", &["keys:read"], json!({})).await;
    let (status, body) = api
        .send("GET", &format!("/keys/{b_id}"), Some(&a), None)
        .await;
    assert_eq!((status.as_u16(), code(&body)), (404, "not_found"));
    let (status, _) = api
        .send("POST", &format!("/keys/{b_id}/revoke"), Some(&a), None)
        .await;
    assert_eq!(status, 404);
    let (status, own) = api
        .send("GET", &format!("/keys/{a_id}"), Some(&a), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(own["subject"], "user_a");
    let (_, list) = api.send("GET", "/keys", Some(&a), None).await;
    let subjects: HashSet<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, HashSet::from(["user_a"]));
    let (status, _) = api
        .send("GET", "/keys?subject=user_b", Some(&a), None)
        .await;
    assert_eq!(status, 403);

    // No escalation: a key cannot mint a key with scopes it lacks.
    let (status, body) = api
        .send(
            "POST",
            "/keys",
            Some(&a),
            Some(&json!({"name": "x", "scopes": ["keys:admin"]})),
        )
        .await;
    assert_eq!((status.as_u16(), code(&body)), (403, "forbidden"), "{body}");
    let (status, body) = api
        .send(
            "POST",
            "/keys",
            Some(&a),
            Some(&json!({"name": "x", "scopes": ["keys:read"]})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["subject"], "user_a");
    // The minted key works, with exactly what it was given.
    let minted = body["secret"].as_str().unwrap();
    assert_eq!(api.send("GET", "/keys", Some(minted), None).await.0, 200);
    assert_eq!(
        api.send("POST", "/keys", Some(minted), Some(&json!({"name": "y"})))
            .await
            .0,
        403
    );
}

async fn pagination(api: Server) {
    let mut created = HashSet::new();
    for i in 0..25 {
        let (id, _) = api
            .key("user_pages", &[], json!({"name": format!("page key {i}")}))
            .await;
        created.insert(id);
    }
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/keys?subject=user_pages&limit=10&cursor={c}"),
            None => "/keys?subject=user_pages&limit=10".to_owned(),
        };
        let (status, page) = api.send("GET", &path, Some(&api.admin), None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for key in page["data"].as_array().unwrap() {
            assert!(
                seen.insert(key["id"].as_str().unwrap().to_owned()),
                "duplicate across pages"
            );
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(seen, created);
    let (status, body) = api
        .send(
            "GET",
            "/keys?subject=user_pages&cursor=bm90LWEtY3Vyc29y",
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!((status.as_u16(), code(&body)), (400, "invalid_cursor"));
}

async fn malformed_requests(api: Server) {
    let raw = |path: &str, content_type: &str, body: String| {
        api.client
            .post(format!("{}{path}", api.url))
            .header("x-api-key", &api.admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = raw("/keys", "application/json", "{\"name\":".into())
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = raw("/products", "text/plain", "name=x".into())
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let big = json!({"name": "x".repeat(20_000), "price": 1}).to_string();
    let response = raw("/products", "application/json", big).await.unwrap();
    assert_eq!(response.status(), 413);
    let response = raw(
        "/products",
        "application/json",
        json!({"name": "x", "price": -1}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("price"));

    let (status, body) = api.send("GET", "/keys", None, None).await;
    assert_eq!((status.as_u16(), code(&body)), (401, "unauthorized"));
    let (status, _) = api
        .send("GET", "/keys", Some("sk_live_definitely-not-a-key"), None)
        .await;
    assert_eq!(status, 401);
    let (status, body) = api.send("DELETE", "/keys", Some(&api.admin), None).await;
    assert_eq!((status.as_u16(), code(&body)), (404, "not_found"));
    let (status, _) = api.send("GET", "/nowhere", Some(&api.admin), None).await;
    assert_eq!(status, 404);
    // As on a REST API, a trailing slash is another path.
    let (status, body) = api.send("GET", "/keys/", Some(&api.admin), None).await;
    assert_eq!((status.as_u16(), code(&body)), (404, "not_found"));
    // Path parameters reach the function decoded, as API Gateway passes them.
    let (id, _) = api.key("user_enc", &[], json!({})).await;
    let encoded = id.replacen('_', "%5F", 1);
    let (status, key) = api
        .send("GET", &format!("/keys/{encoded}"), Some(&api.admin), None)
        .await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["id"], id.as_str());
}

/// 50 authorized requests at once: every one succeeds and every product is stored.
async fn concurrent_writes(api: Server) {
    let (_, key) = api.key("user_busy", &["products:write"], json!({})).await;
    let requests = (0..50).map(|i| {
        let (api, key) = (&api, key.clone());
        async move {
            let body = json!({"name": format!("item {i}"), "price": i + 1});
            api.send("POST", "/products", Some(&key), Some(&body)).await
        }
    });
    let results = futures::future::join_all(requests).await;
    let mut ids = HashSet::new();
    for (status, body) in &results {
        assert_eq!(*status, 201, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 50);
    if let Some(memory) = &api.memory {
        for id in &ids {
            assert!(memory.product(id).is_some(), "product {id} was lost");
        }
    }
    if let Some(store) = &api.dynamo {
        for id in &ids {
            let item = store
                .client()
                .get_item()
                .table_name(&store.tables().products)
                .key("id", aws_sdk_dynamodb::types::AttributeValue::S(id.clone()))
                .consistent_read(true)
                .send()
                .await
                .unwrap();
            assert!(item.item.is_some(), "product {id} was lost");
        }
    }
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
    };
}

flows!(
    full_flow,
    expiry,
    isolation_and_escalation,
    pagination,
    malformed_requests,
    concurrent_writes,
);
