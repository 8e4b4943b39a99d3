//! Reroll and the audit trail over HTTP: a successor key, the old one through its grace
//! period, and the events each change leaves, with the right actor.

use super::{Server, code};
use serde_json::{Value, json};
use std::time::Duration;

/// The events of a key as the admin sees them: (type, actorId) newest first.
async fn events(api: &Server, id: &str) -> Vec<(String, String)> {
    let (status, list) = api
        .send("GET", &format!("/keys/{id}/events"), Some(&api.admin), None)
        .await;
    assert_eq!(status, 200, "{list}");
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |f: &str| e[f].as_str().unwrap().to_owned();
            (text("type"), text("actorId"))
        })
        .collect()
}

pub async fn reroll_with_grace(api: Server) {
    let (old_id, old) = api
        .key(
            "user_r",
            &["products:write", "keys:read", "keys:write"],
            json!({}),
        )
        .await;
    let admin_id = api
        .send("GET", &format!("/keys/{old_id}"), Some(&old), None)
        .await
        .1["createdBy"]
        .as_str()
        .unwrap()
        .to_owned();
    let product = json!({"name": "Widget", "price": 2.5});
    let grace = 3_000;
    // The key rerolls itself: it holds every scope it has.
    let (status, rerolled) = api
        .send(
            "POST",
            &format!("/keys/{old_id}/reroll"),
            Some(&old),
            Some(&json!({"gracePeriodMs": grace})),
        )
        .await;
    assert_eq!(status, 201, "{rerolled}");
    let grace_ends = std::time::Instant::now() + Duration::from_millis(grace);
    let new = rerolled["secret"].as_str().unwrap().to_owned();
    let new_id = rerolled["id"].as_str().unwrap().to_owned();
    assert_eq!(rerolled["rerolledFrom"], old_id.as_str());
    assert_eq!(rerolled["createdBy"], old_id.as_str());
    for secret in [&old, &new] {
        let (status, body) = api
            .send("POST", "/products", Some(secret), Some(&product))
            .await;
        assert_eq!(status, 201, "both keys work during the grace: {body}");
    }
    // Once only.
    let (status, body) = api
        .send("POST", &format!("/keys/{old_id}/reroll"), Some(&new), None)
        .await;
    assert_eq!((status.as_u16(), code(&body)), (409, "conflict"), "{body}");

    tokio::time::sleep_until(grace_ends.into()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, _) = api
        .send("POST", "/products", Some(&old), Some(&product))
        .await;
    assert_eq!(status, 401, "the old key stops after its grace");
    let (status, _) = api
        .send("POST", "/products", Some(&new), Some(&product))
        .await;
    assert_eq!(status, 201);

    // The trail, newest first, with who did each change.
    assert_eq!(
        events(&api, &old_id).await,
        [
            ("rerolled".to_owned(), old_id.clone()),
            ("created".to_owned(), admin_id.clone()),
        ]
    );
    let (status, _) = api
        .send(
            "PATCH",
            &format!("/keys/{new_id}"),
            Some(&api.admin),
            Some(&json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .send("POST", &format!("/keys/{new_id}/revoke"), Some(&new), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        events(&api, &new_id).await,
        [
            ("revoked".to_owned(), new_id.clone()),
            ("updated".to_owned(), admin_id.clone()),
            ("created".to_owned(), old_id.clone()),
        ]
    );
    // Another subject's key's events are not found.
    let (_, stranger) = api.key("user_x", &["keys:read"], json!({})).await;
    let (status, body) = api
        .send(
            "GET",
            &format!("/keys/{old_id}/events"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!((status.as_u16(), code(&body)), (404, "not_found"), "{body}");
}

/// With the authorizer cache on: a reroll without grace stops the old key on its next
/// request, since the reroll flushes the cache.
pub async fn reroll_stops_the_old_key_at_once(api: Server) {
    let (id, old) = api.key("user_c", &["keys:read"], json!({})).await;
    let (status, _) = api.send("GET", "/keys", Some(&old), None).await;
    assert_eq!(status, 200, "the policy is now cached");
    let (status, rerolled) = api
        .send(
            "POST",
            &format!("/keys/{id}/reroll"),
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(status, 201, "{rerolled}");
    let (status, body): (_, Value) = api.send("GET", "/keys", Some(&old), None).await;
    assert_eq!(status, 401, "{body}");
    let new = rerolled["secret"].as_str().unwrap();
    let (status, _) = api.send("GET", "/keys", Some(new), None).await;
    assert_eq!(status, 200);
}

/// A key that ran out stays out: its subject's `keys:write` key cannot move its expiration
/// (nor change it otherwise); an admin can.
pub async fn expired_keys_are_revived_only_by_an_admin(api: Server) {
    let (_, writer) = api
        .key("user_x", &["keys:read", "keys:write"], json!({}))
        .await;
    let body = json!({"name": "short", "scopes": ["keys:read"], "secondsUntilExpiration": 1});
    let (status, short) = api.send("POST", "/keys", Some(&writer), Some(&body)).await;
    assert_eq!(status, 201, "{short}");
    let id = short["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    let later = json!({"expiration": keyauth::domain::clock::now_ms() + 3_600_000});
    let path = format!("/keys/{id}");
    let (status, refused) = api.send("PATCH", &path, Some(&writer), Some(&later)).await;
    assert_eq!(
        (status.as_u16(), code(&refused)),
        (403, "forbidden"),
        "{refused}"
    );
    let (status, key) = api.send("GET", &path, Some(&writer), None).await;
    assert_eq!(
        (status.as_u16(), &key["expired"]),
        (200, &json!(true)),
        "{key}"
    );

    let (status, revived) = api
        .send("PATCH", &path, Some(&api.admin), Some(&later))
        .await;
    assert_eq!(status.as_u16(), 200, "{revived}");
    assert_eq!(revived["expired"], false);
}
