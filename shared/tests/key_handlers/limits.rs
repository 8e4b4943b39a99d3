//! Usage limits on a key through the handlers: create and update set them (`keys:admin`),
//! every key object shows the live balance, verify charges them, updates are audited, a
//! reroll shares them, and they are refused while the authorizer cache is on.

use super::{ADMIN, ALL, Api, code};
use keyauth::edge::config::Config;
use serde_json::{Value, json};

async fn verify(api: &Api, secret: &str, extra: Value) -> Value {
    let mut body = json!({"key": secret});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, answer) = api
        .send("svc", "keys:verify", "POST", "/keys/verify", Some(body))
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn credits_are_spent_by_verify_and_shown_live() {
    let api = Api::new();
    let (id, secret) = api
        .key(
            "user_1",
            json!({"name": "metered", "credits": {"remaining": 3}}),
        )
        .await;
    for left in [2, 1, 0] {
        let answer = verify(&api, &secret, json!({})).await;
        assert_eq!(answer["code"], "VALID", "{answer}");
        assert_eq!(answer["credits"]["remaining"], left);
        assert_eq!(answer["key"]["credits"]["remaining"], left);
    }
    let refused = verify(&api, &secret, json!({})).await;
    assert_eq!(refused["code"], "USAGE_EXCEEDED");
    assert_eq!(refused["valid"], false);
    assert_eq!(refused["key"]["id"], id.as_str());
    let (_, key) = api.get("user_1", ALL, &id).await;
    assert_eq!(key["credits"], json!({"remaining": 0}));
    assert_eq!(key["ratelimit"], Value::Null);
    // A check (cost 0) of a key with credits left spends nothing.
    let (_, other) = api
        .key("user_1", json!({"name": "m2", "credits": {"remaining": 5}}))
        .await
        .clone();
    let check = verify(&api, &other, json!({"cost": 0})).await;
    assert_eq!(check["code"], "VALID");
    assert_eq!(check["credits"]["remaining"], 5);
    let costly = verify(&api, &other, json!({"cost": 4})).await;
    assert_eq!(costly["credits"]["remaining"], 1);
    let too_costly = verify(&api, &other, json!({"cost": 2})).await;
    assert_eq!(too_costly["code"], "USAGE_EXCEEDED");
    assert_eq!(too_costly["credits"]["remaining"], 1);
}

#[tokio::test]
async fn the_rate_limit_refuses_past_its_window() {
    let api = Api::new();
    let (_, secret) = api
        .key(
            "user_1",
            json!({"name": "limited", "ratelimit": {"limit": 2, "durationMs": 10_000}}),
        )
        .await;
    let first = verify(&api, &secret, json!({})).await;
    assert_eq!(first["code"], "VALID");
    assert_eq!(first["ratelimit"]["limit"], 2);
    assert_eq!(first["ratelimit"]["remaining"], 1);
    assert!(first["ratelimit"]["reset"].as_i64().unwrap() % 10_000 == 0);
    assert_eq!(verify(&api, &secret, json!({})).await["code"], "VALID");
    let third = verify(&api, &secret, json!({})).await;
    assert_eq!(third["code"], "RATE_LIMITED", "{third}");
    assert_eq!(third["ratelimit"]["remaining"], 0);
}

#[tokio::test]
async fn limits_need_keys_admin_and_valid_bounds() {
    let api = Api::new();
    let (status, answer) = api
        .create(
            "user_1",
            ALL,
            json!({"name": "x", "credits": {"remaining": 1}}),
        )
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    for bad in [
        json!({"ratelimit": {"limit": 0, "durationMs": 1000}}),
        json!({"ratelimit": {"limit": 1, "durationMs": 999}}),
        json!({"ratelimit": {"limit": 1, "durationMs": 86_400_001}}),
        json!({"ratelimit": {"limit": 1}}),
        json!({"credits": {"remaining": -1}}),
        json!({"credits": {"remaining": 1, "refill": {"amount": 0, "interval": "daily"}}}),
        json!({"credits": {"remaining": 1, "refill": {"amount": 1, "interval": "weekly"}}}),
        json!({"credits": null}),
        json!({"credits": {"remaining": 1, "refill": null}}),
    ] {
        let mut body = bad.clone();
        body["name"] = json!("x");
        let (status, answer) = api.create("user_1", ADMIN, body).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let (_, page) = api.list("user_1", ADMIN, "").await;
    assert_eq!(page["data"], json!([]), "refused creates stored nothing");
}

#[tokio::test]
async fn update_sets_and_removes_limits_and_records_the_live_balance() {
    let api = Api::new();
    let (id, secret) = api
        .key("user_1", json!({"name": "m", "credits": {"remaining": 10}}))
        .await;
    verify(&api, &secret, json!({"cost": 3})).await;
    let path = format!("/keys/{id}");
    let body = json!({
        "credits": {"remaining": 50, "refill": {"amount": 50, "interval": "monthly"}},
        "ratelimit": {"limit": 5, "durationMs": 1000}
    });
    let (status, _) = api
        .send("user_1", ALL, "PATCH", &path, Some(body.clone()))
        .await;
    assert_eq!(status, 403, "changing limits needs keys:admin");
    let (status, key) = api.send("user_1", ADMIN, "PATCH", &path, Some(body)).await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["credits"]["remaining"], 50);
    assert_eq!(key["credits"]["refill"]["interval"], "monthly");
    assert_eq!(key["ratelimit"], json!({"limit": 5, "durationMs": 1000}));
    assert_eq!(
        verify(&api, &secret, json!({})).await["credits"]["remaining"],
        49
    );
    // The event holds the balance as it was (7, after 3 spent), not as last set (10).
    let (_, events) = api
        .send("user_1", ALL, "GET", &format!("/keys/{id}/events"), None)
        .await;
    let updated = &events["data"][0];
    assert_eq!(updated["type"], "updated");
    assert_eq!(updated["changes"]["credits"]["old"]["remaining"], 7);
    assert_eq!(updated["changes"]["credits"]["new"]["remaining"], 50);
    assert_eq!(updated["changes"]["ratelimit"]["old"], Value::Null);
    // null removes them: the key is unlimited again.
    let (status, key) = api
        .send(
            "user_1",
            ADMIN,
            "PATCH",
            &path,
            Some(json!({"credits": null, "ratelimit": null})),
        )
        .await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(
        (key["credits"].clone(), key["ratelimit"].clone()),
        (Value::Null, Value::Null)
    );
    let free = verify(&api, &secret, json!({})).await;
    assert_eq!(free["code"], "VALID");
    assert!(free.get("credits").is_none(), "{free}");
}

#[tokio::test]
async fn a_reroll_shares_the_balance_with_its_successor() {
    let api = Api::new();
    let (id, old) = api
        .key("user_1", json!({"name": "m", "credits": {"remaining": 4}}))
        .await;
    verify(&api, &old, json!({})).await;
    let (status, new) = api
        .send(
            "user_1",
            ALL,
            "POST",
            &format!("/keys/{id}/reroll"),
            Some(json!({"gracePeriodMs": 60_000})),
        )
        .await;
    assert_eq!(status, 201, "{new}");
    assert_eq!(new["credits"]["remaining"], 3, "the balance carries over");
    let secret = new["secret"].as_str().unwrap();
    assert_eq!(
        verify(&api, secret, json!({})).await["credits"]["remaining"],
        2
    );
    // The old key, in its grace period, spends from the same balance.
    assert_eq!(
        verify(&api, &old, json!({})).await["credits"]["remaining"],
        1
    );
    assert_eq!(
        verify(&api, secret, json!({})).await["credits"]["remaining"],
        0
    );
    assert_eq!(
        verify(&api, &old, json!({})).await["code"],
        "USAGE_EXCEEDED"
    );
}

#[tokio::test]
async fn limits_are_refused_while_the_authorizer_cache_is_on() {
    let cached =
        Config::from_lookup(|name| (name == "AUTHORIZER_CACHE_TTL").then(|| "300".into())).unwrap();
    let api = Api::with_config(cached);
    let (status, answer) = api
        .create(
            "user_1",
            ADMIN,
            json!({"name": "x", "ratelimit": {"limit": 1, "durationMs": 1000}}),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (400, "validation_error"),
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AuthorizerCacheTtl")
    );
    let (status, _) = api.create("user_1", ADMIN, json!({"name": "plain"})).await;
    assert_eq!(status, 201);
}

/// A key made by a key with credits shows and spends its creator's balance; its limits are
/// changed on the creator (409 on the child, nothing written).
#[tokio::test]
async fn a_child_shares_its_creators_limits() {
    use super::support::{caller_context, request_with_context};
    let api = Api::new();
    let (parent, _) = api
        .key(
            "user_1",
            json!({"name": "parent", "scopes": ["keys:read", "keys:write"], "credits": {"remaining": 4}}),
        )
        .await;
    let mut context = caller_context("user_1", "keys:read keys:write");
    context["keyId"] = json!(parent);
    let body = json!({"name": "child", "scopes": ["keys:read"]}).to_string();
    let create = request_with_context(
        "POST",
        "/keys",
        Some(&body),
        Some("application/json"),
        Some(context),
    );
    let (status, child) = api.call(create).await;
    assert_eq!(status, 201, "{child}");
    assert_eq!(child["credits"]["remaining"], 4, "{child}");
    let secret = child["secret"].as_str().unwrap().to_owned();
    let child_id = child["id"].as_str().unwrap().to_owned();

    let answer = verify(&api, &secret, json!({"cost": 3})).await;
    assert_eq!(answer["credits"]["remaining"], 1, "{answer}");
    let (_, parent_now) = api.get("user_1", ADMIN, &parent).await;
    assert_eq!(parent_now["credits"]["remaining"], 1, "{parent_now}");

    let (status, refused) = api
        .update(
            "admin",
            ADMIN,
            &child_id,
            json!({"credits": {"remaining": 1000}}),
        )
        .await;
    assert_eq!((status, code(&refused)), (409, "conflict"), "{refused}");
    let (_, child_now) = api.get("user_1", ADMIN, &child_id).await;
    assert_eq!(child_now["credits"]["remaining"], 1, "{child_now}");
}
