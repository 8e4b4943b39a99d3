//! With the authorizer cache on, as API Gateway runs it: a policy is reused for every route
//! until a key is revoked or updated through the API, which flushes the cache.

use super::{Server, json};
use keyauth::store::Store;

/// The store behind the server, to make a change the API does not see.
fn store_of(api: &Server) -> &dyn Store {
    match (&api.memory, &api.dynamo) {
        (Some(memory), _) => &**memory,
        (None, Some(dynamo)) => dynamo,
        (None, None) => unreachable!("every server has a store"),
    }
}

pub async fn changes_flush_the_cache(api: Server) {
    let (id, secret) = api
        .key("user_cache", &["keys:read", "products:write"], json!({}))
        .await;
    let (other_id, _) = api.key("user_cache", &["keys:read"], json!({})).await;
    let product = json!({"name": "Widget", "price": 1.5});
    let (status, _) = api
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(status, 201);

    // PATCH through the API flushes: the scope taken away is refused at once.
    let body = json!({"scopes": ["keys:read"]});
    let (status, _) = api
        .send(
            "PATCH",
            &format!("/keys/{id}"),
            Some(&api.admin),
            Some(&body),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(status, 403, "the updated key's policy was not reused");
    let (status, _) = api.send("GET", "/keys", Some(&secret), None).await;
    assert_eq!(status, 200);

    // A change the API does not see is not seen while the policy is cached: the cache is on.
    let store = store_of(&api);
    let key = store.get_by_id(&id).await.unwrap().unwrap();
    let at = key.updated_at + 1;
    let mut after = key.clone();
    after.revoked = true;
    after.revoked_at = Some(at);
    let operator = keyauth::domain::caller::Caller::operator("test");
    let changes = keyauth::domain::audit::between(Some(&key), &after);
    let event = keyauth::domain::audit::KeyEvent::new(
        &key.id,
        keyauth::domain::audit::EventType::Revoked,
        at,
        &operator,
        changes,
    )
    .unwrap();
    store.revoke(&key, None, &event).await.unwrap();
    let (status, _) = api.send("GET", "/keys", Some(&secret), None).await;
    assert_eq!(status, 200, "served from the cache");

    // Any revoke through the API flushes the stage's cache, as the stream-driven flush does.
    let (status, _) = api
        .send(
            "POST",
            &format!("/keys/{other_id}/revoke"),
            Some(&api.admin),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = api.send("GET", "/keys", Some(&secret), None).await;
    assert_eq!(
        status, 401,
        "the revoked key is refused once the cache is flushed"
    );
}
