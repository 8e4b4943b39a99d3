//! Hostile input and concurrency over HTTP.

use super::{Server, code};
use serde_json::{Value, json};
use std::collections::HashSet;

pub async fn malformed_requests(api: Server) {
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

    // A price is taken from its exact JSON text: what it cannot hold is refused, not
    // rounded to 0 or to the maximum.
    for price in [
        "1e-8",
        "0.00000001",
        "1000000000.0000001",
        "19.999",
        "\"19.99\"",
    ] {
        let body = format!(r#"{{"name": "x", "price": {price}}}"#);
        let response = raw("/products", "application/json", body).await.unwrap();
        assert_eq!(response.status(), 400, "{price}");
    }
    let body = r#"{"name": "x", "price": 1.999e1}"#.to_owned();
    let response = raw("/products", "application/json", body).await.unwrap();
    assert_eq!(response.status(), 201);
    let product: Value = response.json().await.unwrap();
    assert_eq!(product["price"], json!(19.99));

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
    // A method the resource does not have is an unknown route, not another resource's
    // route with a parameter (`GET /keys/verify` is not `GET /keys/{id}`).
    let (status, body) = api
        .send("GET", "/keys/verify", Some(&api.admin), None)
        .await;
    assert_eq!((status.as_u16(), code(&body)), (404, "not_found"), "{body}");
    // Bodies are JSON objects: an array is not read field by field, and a body of
    // whitespace is not an absent body.
    let response = raw("/keys", "application/json", r#"["x", null]"#.into())
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "the body must be a JSON object");
    let (id, _) = api.key("user_ws", &[], json!({})).await;
    let response = raw(
        &format!("/keys/{id}/revoke"),
        "application/json",
        "  ".into(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let (_, key) = api
        .send("GET", &format!("/keys/{id}"), Some(&api.admin), None)
        .await;
    assert_eq!(key["revoked"], false, "a refused body changes nothing");
    // Control characters and bidi overrides in free text, format characters in a subject.
    for body in [
        json!({"name": "a\u{0007}b"}),
        json!({"name": "invoice\u{202E}fdp.exe"}),
        json!({"name": "n", "description": "line\nbreak"}),
        json!({"name": "n", "subject": "user\u{200B}1"}),
        json!({"name": "n", "subject": null}),
    ] {
        let response = raw("/keys", "application/json", body.to_string())
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains("struct") && !message.contains("Request"),
            "{message}"
        );
    }
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
pub async fn concurrent_writes(api: Server) {
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
