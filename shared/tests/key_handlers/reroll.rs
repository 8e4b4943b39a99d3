//! `POST /keys/{id}/reroll`.

use super::support::{caller_context, request_with_context};
use super::{ADMIN, ALL, Api, code, message};
use keyauth::domain::clock::now_ms;
use serde_json::{Value, json};

impl Api {
    /// WHEN: `POST /keys/{id}/reroll`.
    pub async fn reroll(
        &self,
        subject: &str,
        scopes: &str,
        id: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(subject, scopes, "POST", &format!("/keys/{id}/reroll"), body)
            .await
    }

    /// THEN: the verify endpoint's code for a secret.
    pub async fn verify_code(&self, secret: &str) -> String {
        let body = json!({"key": secret});
        let (status, answer) = self
            .send("svc", "keys:verify", "POST", "/keys/verify", Some(body))
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["code"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn reroll_issues_a_successor_and_the_old_key_works_through_the_grace() {
    let api = Api::new();
    let body = json!({"name": "ci", "description": "deploys", "scopes": ["products:write"],
        "claims": {"team": "ops"}, "secondsUntilExpiration": 86_400});
    let (old_id, old_secret) = api.key("user_1", body).await;
    let (_, before) = api.get("user_1", ALL, &old_id).await;

    let started = now_ms();
    // keys:admin, since the key carries claims.
    let (status, new) = api
        .reroll(
            "user_1",
            ADMIN,
            &old_id,
            Some(json!({"gracePeriodMs": 60_000})),
        )
        .await;
    assert_eq!(status, 201, "{new}");
    let new_secret = new["secret"].as_str().expect("the new secret, shown once");
    assert_ne!(new_secret, old_secret);
    assert_ne!(new["id"], old_id);
    for field in [
        "name",
        "description",
        "subject",
        "scopes",
        "claims",
        "expiration",
    ] {
        assert_eq!(new[field], before[field], "{field} is carried over");
    }
    assert_eq!(new["rerolledFrom"], old_id);
    assert_eq!(new["createdBy"], "key_0TestCallerKey0000000001");

    let (_, old) = api.get("user_1", ALL, &old_id).await;
    assert_eq!(old["rerolledTo"], new["id"]);
    assert!(old.get("secret").is_none());
    let grace_end = old["expiration"].as_i64().unwrap();
    assert!((started + 60_000..=now_ms() + 60_000).contains(&grace_end));
    // Both work during the grace period.
    assert_eq!(api.verify_code(&old_secret).await, "VALID");
    assert_eq!(api.verify_code(new_secret).await, "VALID");
}

#[tokio::test]
async fn without_grace_the_old_key_stops_at_once_and_keeps_a_sooner_expiration() {
    let api = Api::new();
    let (id, secret) = api.key("user_1", json!({"name": "now"})).await;
    let (status, new) = api.reroll("user_1", ALL, &id, None).await;
    assert_eq!(status, 201, "{new}");
    assert_eq!(api.verify_code(&secret).await, "EXPIRED");
    assert_eq!(
        api.verify_code(new["secret"].as_str().unwrap()).await,
        "VALID"
    );

    // A key that expires before the grace ends keeps its own expiration.
    let (id, _) = api
        .key(
            "user_1",
            json!({"name": "soon", "secondsUntilExpiration": 60}),
        )
        .await;
    let (_, before) = api.get("user_1", ALL, &id).await;
    let week = json!({"gracePeriodMs": keyauth::domain::key::MAX_GRACE_PERIOD_MS});
    let (status, new) = api.reroll("user_1", ALL, &id, Some(week)).await;
    assert_eq!(status, 201, "{new}");
    let (_, after) = api.get("user_1", ALL, &id).await;
    assert_eq!(after["expiration"], before["expiration"]);
}

#[tokio::test]
async fn a_key_is_rerolled_once_and_a_revoked_key_never() {
    let api = Api::new();
    let (id, _) = api.key("user_1", json!({"name": "once"})).await;
    let (status, _) = api.reroll("user_1", ALL, &id, None).await;
    assert_eq!(status, 201);
    let writes = api.store.counts.writes();
    let (status, answer) = api.reroll("user_1", ALL, &id, None).await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "{answer}");
    assert!(message(&answer).contains("already rerolled"), "{answer}");
    // Nor is a rerolled key changed by PATCH: its successor is.
    let (status, answer) = api
        .update("user_1", ALL, &id, json!({"name": "renamed"}))
        .await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "{answer}");

    // An expired key neither: its successor would be born expired.
    let prefix = keyauth::domain::key_format::KeyPrefix::new("sk_live").unwrap();
    let mut expired = super::support::record("user_1", "expired", 1_000);
    expired.key_hash =
        keyauth::domain::hashing::KeyHash::of_secret(prefix.generate().unwrap().expose());
    expired.expiration = Some(2_000);
    let event = super::support::created_event(&expired);
    keyauth::store::KeyWriter::put_new(&api.store.inner, &expired, &event)
        .await
        .unwrap();
    let (status, answer) = api.reroll("user_1", ALL, &expired.id, None).await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "{answer}");
    assert!(message(&answer).contains("expired"), "{answer}");

    let (revoked, _) = api.key("user_1", json!({"name": "gone"})).await;
    api.revoke("user_1", ALL, &revoked, None).await;
    let writes_before = api.store.counts.writes();
    let (status, answer) = api.reroll("user_1", ALL, &revoked, None).await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "{answer}");
    assert_eq!(api.store.counts.writes(), writes_before);
    assert_eq!(
        writes_before,
        writes + 2,
        "only the key and revoke above wrote"
    );
}

#[tokio::test]
async fn bad_bodies_and_other_callers_change_nothing() {
    let api = Api::new();
    let (id, secret) = api
        .key(
            "user_1",
            json!({"name": "admin-ish", "scopes": ["keys:write", "products:write"]}),
        )
        .await;
    let writes = api.store.counts.writes();
    let max = keyauth::domain::key::MAX_GRACE_PERIOD_MS;
    for (body, status, expected) in [
        (json!({"gracePeriodMs": -1}), 400, "validation_error"),
        (json!({"gracePeriodMs": max + 1}), 400, "validation_error"),
        (json!({"gracePeriodMs": "60000"}), 400, "bad_request"),
        (json!({"gracePeriodMs": 1.5}), 400, "bad_request"),
        (json!({"grace": 1}), 400, "bad_request"),
    ] {
        let (got, answer) = api.reroll("user_1", ALL, &id, Some(body.clone())).await;
        assert_eq!((got, code(&answer)), (status, expected), "{body}: {answer}");
    }
    // Another subject's key is not found; a narrower key may not reroll a broader one.
    let (status, answer) = api.reroll("user_2", ALL, &id, None).await;
    assert_eq!((status, code(&answer)), (404, "not_found"), "{answer}");
    let (status, answer) = api.reroll("user_1", "keys:write", &id, None).await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    let (status, answer) = api.reroll("user_1", "keys:read", &id, None).await;
    assert_eq!(status, 403, "{answer}");
    // A caller that expires cannot make a successor that outlives it.
    let mut context = caller_context("user_1", ADMIN);
    context["expiration"] = json!((now_ms() + 60_000).to_string());
    let path = format!("/keys/{id}/reroll");
    let req = request_with_context("POST", &path, None, None, Some(context));
    let (status, answer) = api.call(req).await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    assert!(message(&answer).contains("outlive"), "{answer}");

    // Claims need keys:admin: a caller without it cannot get a new secret carrying claims
    // other than its own.
    let (claimed, _) = api
        .key("user_1", json!({"name": "claimed", "scopes": ["products:write"], "claims": {"role": "billing-admin"}}))
        .await;
    let before = api.store.counts.writes();
    let (status, answer) = api.reroll("user_1", ALL, &claimed, None).await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    assert!(message(&answer).contains("claims"), "{answer}");
    assert_eq!(api.store.counts.writes(), before);
    let writes = writes + 1;

    assert_eq!(api.store.counts.writes(), writes, "a refused reroll wrote");
    assert_eq!(api.verify_code(&secret).await, "VALID");
    // keys:admin may reroll any key of any subject.
    let (status, answer) = api.reroll("admin", ADMIN, &id, None).await;
    assert_eq!(status, 201, "{answer}");
}

/// A key revoked a moment ago (by a cascade walking towards what it makes) whose request
/// the authorizer had already let through makes nothing more: neither a successor nor a
/// new key.
#[tokio::test]
async fn a_revoked_caller_makes_no_key() {
    let api = Api::new();
    let (caller, _) = api.key("user_1", json!({"name": "caller"})).await;
    let (target, _) = api.key("user_1", json!({"name": "target"})).await;
    assert_eq!(api.revoke("user_1", ADMIN, &caller, None).await.0, 200);
    let as_caller = |method: &str, path: String, body: Value| {
        let mut context = caller_context("user_1", ALL);
        context["keyId"] = json!(caller);
        let body = body.to_string();
        request_with_context(
            method,
            &path,
            Some(&body),
            Some("application/json"),
            Some(context),
        )
    };
    api.store.counts.reset();
    let (status, answer) = api
        .call(as_caller(
            "POST",
            format!("/keys/{target}/reroll"),
            json!({}),
        ))
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    assert!(message(&answer).contains("revoked"), "{answer}");
    let (status, answer) = api
        .call(as_caller("POST", "/keys".into(), json!({"name": "more"})))
        .await;
    assert_eq!((status, code(&answer)), (403, "forbidden"), "{answer}");
    assert_eq!(api.store.counts.writes(), 0, "nothing written");
}
