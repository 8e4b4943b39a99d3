//! Key management and verify through the real `lambda_http` handlers, a file per
//! endpoint: each rule of the HTTP contract, and that a refused request changes nothing.
//! Tests read GIVEN (an [`Api`] and keys in it), WHEN (a call as some caller), THEN (the
//! status, the body, the store's call counts).

#[path = "../support/mod.rs"]
#[macro_use]
mod support;

mod create;
mod events;
mod get;
mod limits;
mod list;
mod reroll;
mod revoke;
mod revoke_race;
mod update;
mod verify;

use keyauth::edge::config::Config;
use keyauth::edge::handlers;
use keyauth::store::memory::MemoryStore;
use serde_json::Value;
use support::counting::Counting;
use support::{parts, request};

/// Every scope but `keys:admin`.
pub const ALL: &str = "keys:read keys:write keys:verify products:write";
/// Every scope.
pub const ADMIN: &str = "keys:read keys:write keys:verify keys:admin products:write";

/// GIVEN: the key functions over a call-counting in-memory store.
pub struct Api {
    pub store: Counting<MemoryStore>,
    config: Config,
}

impl Default for Api {
    fn default() -> Self {
        Self {
            store: Counting::new(MemoryStore::new()),
            config: Config::from_lookup(|_| None).unwrap(),
        }
    }
}

impl Api {
    pub fn new() -> Self {
        Self::default()
    }

    /// GIVEN: the same, configured as the environment would.
    pub fn with_config(config: Config) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// WHEN: a request reaches the function serving its path. Returns (status, body).
    pub async fn call(&self, req: lambda_http::Request) -> (u16, Value) {
        let verify = req.uri().path().ends_with("/keys/verify");
        let response = if verify {
            handlers::verify_key(&self.store, &self.config, req).await
        } else {
            handlers::manage_keys(&self.store, &self.config, req).await
        };
        parts(response)
    }

    /// WHEN: `subject` holding `scopes` calls `method path` with an optional JSON body.
    pub async fn send(
        &self,
        subject: &str,
        scopes: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call(request(method, path, body.as_ref(), subject, scopes))
            .await
    }

    /// WHEN: `POST /keys`.
    pub async fn create(&self, subject: &str, scopes: &str, body: Value) -> (u16, Value) {
        self.send(subject, scopes, "POST", "/keys", Some(body))
            .await
    }

    /// WHEN: `GET /keys/{id}`.
    pub async fn get(&self, subject: &str, scopes: &str, id: &str) -> (u16, Value) {
        self.send(subject, scopes, "GET", &format!("/keys/{id}"), None)
            .await
    }

    /// WHEN: `GET /keys?{query}`.
    pub async fn list(&self, subject: &str, scopes: &str, query: &str) -> (u16, Value) {
        self.send(subject, scopes, "GET", &format!("/keys?{query}"), None)
            .await
    }

    /// WHEN: `POST /keys/{id}/revoke`.
    pub async fn revoke(
        &self,
        subject: &str,
        scopes: &str,
        id: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(subject, scopes, "POST", &format!("/keys/{id}/revoke"), body)
            .await
    }

    /// GIVEN: a key of `subject`, made by a caller of that subject holding every scope.
    /// Returns (id, secret).
    pub async fn key(&self, subject: &str, body: Value) -> (String, String) {
        let (status, key) = self.create(subject, ADMIN, body).await;
        assert_eq!(status, 201, "{key}");
        (
            key["id"].as_str().unwrap().to_owned(),
            key["secret"].as_str().unwrap().to_owned(),
        )
    }
}

/// THEN: the error code of an answer ("" for a success).
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// THEN: the error message of an answer ("" for a success).
pub fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

/// One text field of every key on a listing page, in order.
pub fn each(page: &Value, field: &str) -> Vec<String> {
    let keys = page["data"].as_array().unwrap();
    keys.iter()
        .map(|k| k[field].as_str().unwrap().to_owned())
        .collect()
}

/// The ids of a listing page, in order.
pub fn ids(page: &Value) -> Vec<String> {
    each(page, "id")
}

/// A policy API Gateway cached before the caller's key expired still reaches the function
/// with the key's expiration in its context: the function refuses it itself.
#[tokio::test]
async fn an_expired_caller_is_401_even_with_a_cached_policy() {
    let api = Api::new();
    let context = |expiration: i64| {
        let mut context = support::caller_context("user_1", ALL);
        context["expiration"] = serde_json::json!(expiration.to_string());
        context
    };
    let now = keyauth::domain::clock::now_ms();
    let expired = support::request_with_context("GET", "/keys", None, None, Some(context(now - 1)));
    let (status, answer) = api.call(expired).await;
    assert_eq!((status, code(&answer)), (401, "unauthorized"), "{answer}");
    let live =
        support::request_with_context("GET", "/keys", None, None, Some(context(now + 60_000)));
    let (status, answer) = api.call(live).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn missing_authorizer_context_is_401_not_a_panic() {
    let api = Api::new();
    let req = support::raw_request("GET", "/keys", None, None, None);
    let (status, answer) = api.call(req).await;
    assert_eq!((status, code(&answer)), (401, "unauthorized"));
    let req = support::raw_request("GET", "/products", None, None, Some(("user_1", ALL)));
    let (status, _) = api.call(req).await;
    assert_eq!(
        status, 404,
        "a route of another function is not served here"
    );
}
