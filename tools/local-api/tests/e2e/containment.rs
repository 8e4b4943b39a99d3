//! Containing a compromised key over HTTP: a leak report takes the key's whole family, a
//! cascade over more than a thousand keys finishes, and a narrow key's cascade spares what
//! it could not revoke itself.

use super::Server;
use super::leaks::{GitHub, report};
use futures::{StreamExt, stream};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PRODUCT: &str = r#"{"name": "Widget", "price": 1}"#;

/// Creates a key with `creator`'s secret; returns (id, secret).
async fn create_with(server: &Server, creator: &str, body: Value) -> (String, String) {
    let (status, key) = server
        .send("POST", "/keys", Some(creator), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    )
}

/// The status of a protected request made with `secret`.
async fn product_with(server: &Server, secret: &str) -> StatusCode {
    let product: Value = serde_json::from_str(PRODUCT).unwrap();
    server
        .send("POST", "/products", Some(secret), Some(&product))
        .await
        .0
}

fn minting() -> Value {
    json!({"name": "minted", "scopes": ["keys:write", "products:write"]})
}

/// A key found leaked takes what it minted, and what that minted; a leaked key that was
/// rerolled (without grace, so already expired) takes its successor and what the
/// successor minted. Bystanders keep working.
pub async fn leaks_take_the_family(server: Server, github: GitHub) {
    let (_, parent) = server
        .key("user_1", &["keys:write", "products:write"], json!({}))
        .await;
    let (_, child) = create_with(&server, &parent, minting()).await;
    let (grandchild_id, grandchild) = create_with(&server, &child, minting()).await;
    let (_, bystander) = server.key("user_1", &["products:write"], json!({})).await;

    let (old_id, old) = server
        .key("user_2", &["keys:write", "products:write"], json!({}))
        .await;
    let (status, successor) = server
        .send("POST", &format!("/keys/{old_id}/reroll"), Some(&old), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{successor}");
    let successor = successor["secret"].as_str().unwrap().to_owned();
    let (_, minted_by_successor) = create_with(&server, &successor, minting()).await;
    assert_eq!(product_with(&server, &old).await, StatusCode::UNAUTHORIZED);

    let url = "https://github.com/o/r/blob/main/.env";
    let labels = report(&server, &github, &[&parent, &old], url).await;
    assert_eq!(labels[0]["label"], "true_positive");
    assert_eq!(labels[1]["label"], "true_positive", "expired, but ours");
    assert_eq!(
        product_with(&server, &parent).await,
        StatusCode::UNAUTHORIZED,
        "the leaked key is refused at once"
    );
    // Its family within seconds: at once unless the report's walk was handed on.
    for (name, secret) in [
        ("its child", &child),
        ("its grandchild", &grandchild),
        ("the rerolled key's successor", &successor),
        ("what the successor minted", &minted_by_successor),
    ] {
        let started = Instant::now();
        while product_with(&server, secret).await != StatusCode::UNAUTHORIZED {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} is refused"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(product_with(&server, &bystander).await, StatusCode::CREATED);
    let (_, events) = server
        .send(
            "GET",
            &format!("/keys/{grandchild_id}/events"),
            Some(&server.admin),
            None,
        )
        .await;
    let revoked = &events["data"][0];
    assert_eq!(revoked["type"], "revoked", "{events}");
    assert_eq!(revoked["actorId"], "operator:github-secret-scanning");
    assert_eq!(
        revoked["changes"]["revocationReason"]["new"],
        format!("leaked: {url}")
    );
}

/// A narrow key's cascade revokes what it could revoke directly and spares a descendant an
/// admin broadened, listing it; the spared key keeps working.
pub async fn a_narrow_cascade_spares_a_wider_descendant(api: Server) {
    let narrow = ["keys:read", "keys:write", "products:write"];
    let (root_id, root) = api.key("user_n", &narrow, json!({})).await;
    let (_, plain) = create_with(
        &api,
        &root,
        json!({"name": "plain", "scopes": ["products:write"]}),
    )
    .await;
    let (wide_id, wide) = create_with(
        &api,
        &root,
        json!({"name": "wide", "scopes": ["products:write"]}),
    )
    .await;
    let broaden = json!({"scopes": ["products:write", "keys:admin"]});
    let (status, answer) = api
        .send(
            "PATCH",
            &format!("/keys/{wide_id}"),
            Some(&api.admin),
            Some(&broaden),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, revoker) = api.key("user_n", &narrow, json!({})).await;

    let (status, answer) = api
        .send(
            "POST",
            &format!("/keys/{root_id}/revoke"),
            Some(&revoker),
            Some(&json!({"cascade": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["cascade"]["revoked"], 1, "{answer}");
    assert_eq!(answer["cascade"]["spared"], json!([wide_id]));
    assert_eq!(product_with(&api, &plain).await, StatusCode::UNAUTHORIZED);
    assert_eq!(product_with(&api, &wide).await, StatusCode::CREATED);
}

/// A tree of 1 050 keys below a key, minted over HTTP (50 children, each minting 20):
/// revoked with cascade, every one of them is refused within 60 s, whether the request
/// finished the walk or handed the rest on. In memory (the operations' own test runs the
/// same tree on moto: tests/cascade in the shared crate).
#[tokio::test]
async fn a_cascade_over_1050_descendants_finishes() {
    let api = crate::memory_server().await;
    let (root_id, root) = api
        .key("user_big", &["keys:write", "products:write"], json!({}))
        .await;
    let children: Vec<(String, String)> = stream::iter(0..50)
        .map(|_| create_with(&api, &root, minting()))
        .buffer_unordered(8)
        .collect()
        .await;
    let grandchildren: Vec<(String, String)> =
        stream::iter(children.iter().flat_map(|c| (0..20).map(move |_| c)))
            .map(|(_, secret)| create_with(&api, secret, minting()))
            .buffer_unordered(8)
            .collect()
            .await;
    let secrets: Vec<&String> = children
        .iter()
        .chain(&grandchildren)
        .map(|(_, secret)| secret)
        .collect();
    assert_eq!(secrets.len(), 1050);

    let started = Instant::now();
    revoke_with_cascade(&api, &root_id).await;
    // Wait for the cascade to end (the root's `cascaded` event), then try every key.
    let outcome = cascade_outcome(&api, &root_id, started, Duration::from_secs(60)).await;
    assert_eq!(outcome["revoked"], 1050, "{outcome}");
    let refused: Vec<StatusCode> = stream::iter(&secrets)
        .map(|secret| product_with(&api, secret))
        .buffer_unordered(8)
        .collect()
        .await;
    let elapsed = started.elapsed();
    assert!(refused.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    println!("1050 descendants refused {elapsed:?} after the revoke");
}

/// A revoke whose walk is handed on (a budget of 200 ms, short of the walk's wait for the
/// index) is continued by the server
/// soon after the revoke answers, not at its next look for cascades nobody announced.
#[tokio::test]
async fn a_cascade_handed_on_is_continued_at_once() {
    let memory = std::sync::Arc::new(crate::MemoryStore::new());
    let config = crate::Config::from_lookup(|n| (n == "CASCADE_BUDGET_MS").then(|| "200".into()));
    let api = crate::start_with(
        config.unwrap(),
        memory.clone(),
        None,
        Some(memory),
        Duration::ZERO,
        None,
        None,
    )
    .await;
    // Past the server's first look, made as it starts.
    tokio::time::sleep(local_api::cascades::CASCADE_POLL * 3).await;
    let (root_id, root) = api
        .key("user_slow", &["keys:write", "products:write"], json!({}))
        .await;
    let (_, child) = create_with(&api, &root, minting()).await;
    let answer = revoke_with_cascade(&api, &root_id).await;
    assert_eq!(answer["cascade"]["inProgress"], true, "{answer}");
    // Well inside the idle look's period, which alone would take up to its whole length
    // (the walk's last pass waits a second for the index: INDEX_SETTLE_MS).
    let within = local_api::cascades::IDLE_POLL - Duration::from_secs(2);
    let outcome = cascade_outcome(&api, &root_id, Instant::now(), within).await;
    assert_eq!(outcome["revoked"], 1, "{outcome}");
    assert_eq!(product_with(&api, &child).await, StatusCode::UNAUTHORIZED);
}

/// Revokes `root_id` with a cascade, as the admin; the answer.
async fn revoke_with_cascade(api: &Server, root_id: &str) -> Value {
    let (status, answer) = api
        .send(
            "POST",
            &format!("/keys/{root_id}/revoke"),
            Some(&api.admin),
            Some(&json!({"cascade": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// The outcome of the cascade below `root_id`, from its `cascaded` event, which must come
/// within `within` of `since`.
async fn cascade_outcome(api: &Server, root_id: &str, since: Instant, within: Duration) -> Value {
    loop {
        let (_, events) = api
            .send(
                "GET",
                &format!("/keys/{root_id}/events"),
                Some(&api.admin),
                None,
            )
            .await;
        if events["data"][0]["type"] == "cascaded" {
            return events["data"][0]["outcome"].clone();
        }
        assert!(
            since.elapsed() < within,
            "the cascade has not ended: {events}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
