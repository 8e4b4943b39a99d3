//! `GET /keys/{id}/events`: the audit trail each change leaves.

use super::{ADMIN, ALL, Api, code};
use serde_json::{Value, json};

/// The caller id every test request carries (see `support::caller_context`).
const CALLER: &str = "key_0TestCallerKey0000000001";

impl Api {
    /// WHEN: `GET /keys/{id}/events?{query}`.
    pub async fn events(&self, subject: &str, scopes: &str, id: &str, query: &str) -> (u16, Value) {
        self.send(
            subject,
            scopes,
            "GET",
            &format!("/keys/{id}/events?{query}"),
            None,
        )
        .await
    }

    /// THEN: the types of a key's events, newest first.
    pub async fn event_types(&self, subject: &str, id: &str) -> Vec<String> {
        let (status, list) = self.events(subject, ALL, id, "").await;
        assert_eq!(status, 200, "{list}");
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn every_change_is_an_event_with_its_actor_newest_first() {
    let api = Api::new();
    let (id, secret) = api
        .key(
            "user_1",
            json!({"name": "ci", "scopes": ["products:write"]}),
        )
        .await;
    let (status, _) = api
        .update(
            "user_1",
            ALL,
            &id,
            json!({"name": "ci deploy", "scopes": ["keys:read"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, new) = api.reroll("user_1", ALL, &id, None).await;
    assert_eq!(status, 201);
    let new_id = new["id"].as_str().unwrap();
    let (status, _) = api
        .revoke(
            "user_1",
            ALL,
            new_id,
            Some(json!({"revocationReason": "rotated"})),
        )
        .await;
    assert_eq!(status, 200);

    let (status, list) = api.events("user_1", "keys:read", &id, "").await;
    assert_eq!(status, 200, "{list}");
    let events = list["data"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["rerolled", "updated", "created"]);
    assert!(list["nextCursor"].is_null());
    for event in events {
        assert_eq!(event["keyId"], id.as_str());
        assert_eq!(event["actorId"], CALLER);
        assert_eq!(event["actorSubject"], "user_1");
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    }
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["at"].as_i64() > w[1]["at"].as_i64())
    );
    let updated = &events[1]["changes"];
    assert_eq!(updated["name"], json!({"old": "ci", "new": "ci deploy"}));
    assert_eq!(
        updated["scopes"],
        json!({"old": ["products:write"], "new": ["keys:read"]})
    );
    assert_eq!(updated.as_object().unwrap().len(), 2, "only what changed");
    assert_eq!(events[0]["changes"]["rerolledTo"]["new"], new_id);
    assert!(events[0]["changes"]["expiration"]["new"].is_i64());
    assert_eq!(
        events[2]["changes"]["name"],
        json!({"old": null, "new": "ci"})
    );

    let new_events = api.events("user_1", ALL, new_id, "").await.1;
    let revoked = &new_events["data"][0];
    assert_eq!(revoked["type"], "revoked");
    assert_eq!(
        revoked["changes"]["revoked"],
        json!({"old": false, "new": true})
    );
    assert_eq!(revoked["changes"]["revocationReason"]["new"], "rotated");
    assert_eq!(
        new_events["data"][1]["changes"]["rerolledFrom"]["new"],
        id.as_str()
    );

    // No secret and no hash in any event.
    let text = format!("{list}{new_events}");
    let hash = keyauth::domain::hashing::KeyHash::of_secret(&secret);
    assert!(!text.contains(&secret) && !text.contains(hash.as_str()));
    assert!(!text.contains(new["secret"].as_str().unwrap()));
}

#[tokio::test]
async fn a_cascade_names_the_key_it_came_from() {
    let api = Api::new();
    let (parent, parent_secret) = api.key("user_1", json!({"name": "parent"})).await;
    // The parent creates a child: the request carries the parent's own id as caller.
    let mut context = super::support::caller_context("user_1", ALL);
    context["keyId"] = json!(parent);
    let body = json!({"name": "child"}).to_string();
    let req = super::support::request_with_context(
        "POST",
        "/keys",
        Some(&body),
        Some("application/json"),
        Some(context),
    );
    let (status, child) = api.call(req).await;
    assert_eq!(status, 201, "{child}");
    let child_id = child["id"].as_str().unwrap();
    let (status, _) = api
        .revoke("user_1", ALL, &parent, Some(json!({"cascade": true})))
        .await;
    assert_eq!(status, 200);
    let list = api.events("user_1", ALL, child_id, "").await.1;
    let revoked = &list["data"][0];
    assert_eq!(revoked["type"], "revoked");
    assert_eq!(revoked["cascadeFrom"], parent.as_str());
    assert_eq!(
        revoked["changes"]["revocationReason"]["new"],
        "parent revoked"
    );
    assert_eq!(
        list["data"][1]["actorId"],
        parent.as_str(),
        "the child's creator"
    );
    let parent_events = api.events("user_1", ALL, &parent, "").await.1;
    assert!(parent_events["data"][0].get("cascadeFrom").is_none());
    assert!(!parent_events.to_string().contains(&parent_secret));
}

#[tokio::test]
async fn events_page_with_cursors_bound_to_their_key() {
    let api = Api::new();
    let (id, _) = api.key("user_1", json!({"name": "n0"})).await;
    for i in 1..=4 {
        let (status, _) = api
            .update("user_1", ALL, &id, json!({"name": format!("n{i}")}))
            .await;
        assert_eq!(status, 200);
    }
    let (_, all) = api.events("user_1", ALL, &id, "limit=100").await;
    let mut paged = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let (status, page) = api.events("user_1", ALL, &id, &query).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["data"].as_array().unwrap().len() <= 2);
        paged.extend(page["data"].as_array().unwrap().clone());
        match page["nextCursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged.len(), 5);
    assert_eq!(Value::Array(paged), all["data"]);

    // A cursor of one key's events is refused for another's; bad limits too.
    let (other, _) = api.key("user_1", json!({"name": "other"})).await;
    let cursor = api.events("user_1", ALL, &id, "limit=1").await.1["nextCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, answer) = api
        .events("user_1", ALL, &other, &format!("cursor={cursor}"))
        .await;
    assert_eq!((status, code(&answer)), (400, "invalid_cursor"), "{answer}");
    for bad in ["limit=0", "limit=101", "limit=x"] {
        let (status, answer) = api.events("user_1", ALL, &id, bad).await;
        assert_eq!((status, code(&answer)), (400, "validation_error"), "{bad}");
    }
}

#[tokio::test]
async fn events_are_seen_only_as_the_key_is() {
    let api = Api::new();
    let (id, _) = api.key("user_1", json!({"name": "private"})).await;
    let (status, answer) = api.events("user_2", ALL, &id, "").await;
    assert_eq!((status, code(&answer)), (404, "not_found"), "{answer}");
    let (status, answer) = api.events("user_1", "keys:write", &id, "").await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = api.events("user_1", ALL, "key_nope", "").await;
    assert_eq!(status, 404, "{answer}");
    let (status, list) = api.events("admin", ADMIN, &id, "").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(api.event_types("user_1", &id).await, ["created"]);
}
