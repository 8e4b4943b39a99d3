//! GitHub's secret-scanning report through the local server, with no x-api-key: a signed
//! report revokes a live key (its next request 401) and labels an unknown token
//! `false_positive`; a bad signature gets 401 and revokes nothing.

use super::{Server, code};
use base64::Engine;
use keyauth::edge::leaks::SigningKeys;
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

/// A throwaway signing key, published in a keys document file for the server.
pub struct GitHub {
    pair: EcdsaKeyPair,
    pub document: std::path::PathBuf,
}

impl GitHub {
    pub fn new() -> Self {
        let generated = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &generated.serialize_der(),
            &SystemRandom::new(),
        )
        .unwrap();
        let name = format!(
            "e2e-github-keys-{}.json",
            keyauth::domain::ids::new_product_id().unwrap()
        );
        let document = std::env::temp_dir().join(name);
        let keys = json!({"public_keys": [
            {"key_identifier": "e2e", "key": generated.public_key_pem(), "is_current": true}
        ]});
        std::fs::write(&document, keys.to_string()).unwrap();
        Self { pair, document }
    }

    pub fn keys(&self) -> SigningKeys {
        SigningKeys::new(&format!("file://{}", self.document.display())).unwrap()
    }

    fn sign(&self, body: &[u8]) -> String {
        let signature = self.pair.sign(&SystemRandom::new(), body).unwrap();
        base64::engine::general_purpose::STANDARD.encode(signature.as_ref())
    }
}

impl Drop for GitHub {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.document);
    }
}

async fn post(server: &Server, body: &str, signature: &str) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}/secret-scanning/github", server.url))
        .header("content-type", "application/json")
        .header("Github-Public-Key-Identifier", "e2e")
        .header("Github-Public-Key-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

pub async fn a_leak_report_revokes_the_key(server: Server, github: GitHub) {
    let (id, secret) = server.key("user_1", &["products:write"], json!({})).await;
    let product = json!({"name": "Widget", "price": 1});
    let (status, _) = server
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let unknown = keyauth::domain::key_format::KeyPrefix::new("sk_live")
        .unwrap()
        .generate()
        .unwrap()
        .into_inner();
    let body = json!([
        {"token": secret, "type": "keyauth", "url": "https://github.com/o/r/blob/main/.env", "source": "content"},
        {"token": unknown, "type": "keyauth", "url": "https://github.com/o/r", "source": "content"},
    ])
    .to_string();

    // A bad signature: 401, and the key still works.
    let (status, answer) = post(&server, &body, &github.sign(b"something else")).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (status, _) = server
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, labels) = post(&server, &body, &github.sign(body.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{labels}");
    assert_eq!(labels[0]["label"], "true_positive");
    assert_eq!(labels[1]["label"], "false_positive");
    let (status, _) = server
        .send("POST", "/products", Some(&secret), Some(&product))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the leaked key is refused at once"
    );
    let (_, key) = server
        .send("GET", &format!("/keys/{id}"), Some(&server.admin), None)
        .await;
    assert_eq!(
        key["revocationReason"],
        "leaked: https://github.com/o/r/blob/main/.env"
    );
}

/// A signed report of `secrets` found at `url`; returns the labels.
pub async fn report(server: &Server, github: &GitHub, secrets: &[&str], url: &str) -> Value {
    let tokens: Vec<Value> = secrets
        .iter()
        .map(|s| json!({"token": s, "type": "keyauth", "url": url, "source": "content"}))
        .collect();
    let body = Value::Array(tokens).to_string();
    let (status, labels) = post(server, &body, &github.sign(body.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{labels}");
    labels
}
