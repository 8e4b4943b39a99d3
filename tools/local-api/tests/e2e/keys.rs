//! Key flows over HTTP: create, use, revoke, expiry, isolation, pagination.

use super::{Server, code};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

pub async fn full_flow(api: Server) {
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
    // Behind the cache the key's policy lacks the route; without it the answer denies
    // the route itself ("… with an explicit deny").
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("User is not authorized to access this resource"),
        "{message}"
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

pub async fn expiry(api: Server) {
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

pub async fn isolation_and_escalation(api: Server) {
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
    let create_with = |scope: &str| json!({"name": "x", "scopes": [scope]});
    let (status, body) = api
        .send("POST", "/keys", Some(&a), Some(&create_with("keys:admin")))
        .await;
    assert_eq!((status.as_u16(), code(&body)), (403, "forbidden"), "{body}");
    let (status, body) = api
        .send("POST", "/keys", Some(&a), Some(&create_with("keys:read")))
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

    // No escalation by revoking either: a narrow keys:write key cannot revoke a broader
    // key of its own subject, which keeps working.
    let (admin_id, admin) = api
        .key(
            "user_a",
            &["keys:read", "keys:write", "keys:admin"],
            json!({}),
        )
        .await;
    let (narrow_id, narrow) = api.key("user_a", &["keys:write"], json!({})).await;
    let (status, body) = api
        .send(
            "POST",
            &format!("/keys/{admin_id}/revoke"),
            Some(&narrow),
            None,
        )
        .await;
    assert_eq!((status.as_u16(), code(&body)), (403, "forbidden"), "{body}");
    assert_eq!(api.send("GET", "/keys", Some(&admin), None).await.0, 200);
    let (status, _) = api
        .send(
            "POST",
            &format!("/keys/{narrow_id}/revoke"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "keys:admin may revoke any key of its subject");
}

pub async fn pagination(api: Server) {
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

/// Revoke with cascade over HTTP: the keys a key made, and theirs, stop at once.
pub async fn cascade(api: Server) {
    let (parent_id, parent) = api
        .key(
            "user_c",
            &["keys:read", "keys:write", "products:write"],
            json!({}),
        )
        .await;
    let create = |name: &str| json!({"name": name, "scopes": ["keys:write", "products:write"]});
    let (status, child) = api
        .send("POST", "/keys", Some(&parent), Some(&create("child")))
        .await;
    assert_eq!(status, 201, "{child}");
    let child_secret = child["secret"].as_str().unwrap().to_owned();
    let (status, grandchild) = api
        .send(
            "POST",
            "/keys",
            Some(&child_secret),
            Some(&create("grandchild")),
        )
        .await;
    assert_eq!(status, 201, "{grandchild}");
    let grandchild_secret = grandchild["secret"].as_str().unwrap();
    let product = json!({"name": "Widget", "price": 1.5});
    let (status, _) = api
        .send("POST", "/products", Some(grandchild_secret), Some(&product))
        .await;
    assert_eq!(status, 201);

    let (_, children) = api
        .send(
            "GET",
            &format!("/keys?createdBy={parent_id}"),
            Some(&parent),
            None,
        )
        .await;
    assert_eq!(children["data"][0]["id"], child["id"]);

    let body = json!({"cascade": true, "revocationReason": "offboarding"});
    let (status, revoked) = api
        .send(
            "POST",
            &format!("/keys/{parent_id}/revoke"),
            Some(&api.admin),
            Some(&body),
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    for secret in [&parent, &child_secret, &grandchild_secret.to_owned()] {
        let (status, _) = api
            .send("POST", "/products", Some(secret), Some(&product))
            .await;
        assert_eq!(status, 401, "every key of the tree is refused at once");
    }
    let (_, verdict) = api
        .send(
            "POST",
            "/keys/verify",
            Some(&api.admin),
            Some(&json!({"key": grandchild_secret})),
        )
        .await;
    assert_eq!(verdict["code"], "REVOKED");
    assert_eq!(
        verdict["key"]["revocationReason"],
        "parent revoked: offboarding"
    );
}

/// PATCH over HTTP: scopes taken away are refused on the very next request.
pub async fn update_takes_effect_at_once(api: Server) {
    let (id, secret) = api
        .key("user_u", &["keys:read", "products:write"], json!({}))
        .await;
    let product = json!({"name": "Widget", "price": 1.5});
    let (status, _) = api
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(status, 201);
    let body = json!({"scopes": ["keys:read"], "name": "read only"});
    let (status, updated) = api
        .send(
            "PATCH",
            &format!("/keys/{id}"),
            Some(&api.admin),
            Some(&body),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "read only");
    let (status, _) = api
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(status, 403, "the lost route is refused at once");
    let (status, _) = api.send("GET", "/keys", Some(&secret), None).await;
    assert_eq!(status, 200, "the kept route still works");
}
