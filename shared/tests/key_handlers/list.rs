//! `GET /keys`.

use super::{ADMIN, ALL, Api, code, each, ids, message};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn listing_pages_through_the_handler() {
    let api = Api::new();
    let mut created = HashSet::new();
    for i in 0..25 {
        let (id, _) = api.key("user_1", json!({"name": format!("key {i}")})).await;
        created.insert(id);
    }
    api.key("user_2", json!({"name": "not mine"})).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=10&cursor={c}"),
            None => "limit=10".to_owned(),
        };
        let (status, page) = api.list("user_1", ALL, &query).await;
        assert_eq!(status, 200, "{page}");
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 10);
        for key in data {
            assert!(key.get("secret").is_none() && key.get("keyHash").is_none());
        }
        seen.extend(ids(&page));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);

    let (_, page) = api.list("user_1", ALL, "query=KEY 1&limit=100").await;
    let names = each(&page, "name");
    assert!(
        !names.is_empty() && names.iter().all(|n| n.contains("key 1")),
        "{names:?}"
    );
    let (_, page) = api.send("user_1", ALL, "GET", "/keys", None).await;
    assert_eq!(ids(&page).len(), 20, "default page size");
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let api = Api::new();
    api.key("user_1", json!({"name": "one"})).await;
    api.key("user_1", json!({"name": "two"})).await;
    let (_, page) = api.list("user_1", ALL, "limit=1").await;
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone();
    tampered.replace_range(5..6, if &cursor[5..6] == "A" { "B" } else { "A" });
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("includeInvalid=yes", "includeInvalid"),
        (&format!("query={}", "q".repeat(101)), "query"),
        (&format!("cursor={tampered}"), "cursor"),
        ("cursor=!!!", "cursor"),
        ("createdBy=someone", "createdBy"),
    ] {
        let (status, answer) = api.list("user_1", ALL, query).await;
        assert_eq!(status, 400, "{query}: {answer}");
        assert!(message(&answer).contains(field), "{query}: {answer}");
    }
    // A cursor issued for one subject is refused for another, even to an admin.
    let foreign = format!("subject=user_2&cursor={cursor}");
    let (status, answer) = api.list("root", ADMIN, &foreign).await;
    assert_eq!((status, code(&answer)), (400, "invalid_cursor"));
    let (status, _) = api.send("user_1", "keys:write", "GET", "/keys", None).await;
    assert_eq!(status, 403, "list needs keys:read");
}

#[tokio::test]
async fn revoked_and_expired_keys_are_hidden_unless_asked_for() {
    let api = Api::new();
    let (revoked, _) = api.key("user_1", json!({"name": "revoked"})).await;
    let (live, _) = api.key("user_1", json!({"name": "live"})).await;
    api.revoke("user_1", ALL, &revoked, None).await;
    let (_, page) = api.send("user_1", ALL, "GET", "/keys", None).await;
    assert_eq!(ids(&page), vec![live.clone()]);
    let (_, page) = api.list("user_1", ALL, "includeInvalid=true").await;
    assert_eq!(ids(&page).len(), 2);
}

#[tokio::test]
async fn created_by_lists_the_keys_a_key_created() {
    let api = Api::new();
    // A parent key of user_1, and what it and another caller create.
    let (_, parent) = api.create("user_1", ADMIN, json!({"name": "parent"})).await;
    let parent_id = parent["id"].as_str().unwrap();
    // The parent's own authorizer context, as the authorizer would hand it on.
    let mut context = super::support::caller_context("user_1", ALL);
    context["keyId"] = json!(parent_id);
    let mut children = Vec::new();
    for name in ["child 1", "child 2"] {
        let body = json!({"name": name}).to_string();
        let request = super::support::request_with_context(
            "POST",
            "/keys",
            Some(&body),
            Some("application/json"),
            Some(context.clone()),
        );
        let (status, child) = api.call(request).await;
        assert_eq!(status, 201, "{child}");
        assert_eq!(child["createdBy"], parent_id);
        children.push(child["id"].as_str().unwrap().to_owned());
    }
    api.key("user_1", json!({"name": "someone else's"})).await;
    let (status, page) = api
        .list("user_1", ALL, &format!("createdBy={parent_id}"))
        .await;
    assert_eq!(status, 200, "{page}");
    let mut listed = ids(&page);
    listed.sort();
    children.sort();
    assert_eq!(listed, children);
}
