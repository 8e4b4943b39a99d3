//! GitHub's secret-scanning public keys (`{"public_keys": [{"key_identifier", "key" (PEM),
//! "is_current"}]}` at `SECRET_SCANNING_KEYS_URL`): fetched at the first report and kept,
//! fetched again for an identifier the set lacks, at most once a minute so that made-up
//! identifiers cannot make us hammer GitHub. A report's signature is ECDSA P-256 with
//! SHA-256 over its raw body, base64 DER, checked with ring (already linked for TLS).

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use rustls_pki_types::SubjectPublicKeyInfoDer;
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;
use spki::ObjectIdentifier;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Where GitHub publishes the keys, when `SECRET_SCANNING_KEYS_URL` is unset.
pub const DEFAULT_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";
/// The least time between two fetches for identifiers the set lacks.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// The longest a fetch may take: it runs inside a report's request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest keys document read (GitHub's is about 2 KB).
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// `id-ecPublicKey` and the P-256 curve (`prime256v1`).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// Why a report's signature was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// A signature header is missing or empty (401).
    #[error("the report carries no signature")]
    Missing,
    /// No key of GitHub's set has this identifier (401).
    #[error("no signing key has this identifier")]
    UnknownKey,
    /// The signature is not base64 (401).
    #[error("the signature is not base64")]
    Malformed,
    /// The signature does not match the body under the named key (401).
    #[error("the signature does not match the report")]
    Mismatch,
    /// GitHub's keys could not be fetched, so nothing can be checked (503: GitHub retries).
    #[error("the signing keys could not be fetched: {0}")]
    Unavailable(String),
}

/// GitHub's keys document.
#[derive(Deserialize)]
struct Document {
    public_keys: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    key_identifier: String,
    key: String,
}

/// Where the keys document is read from.
#[derive(Debug, Clone)]
enum Location {
    /// A local file (`file://` URLs: tests, and deployments that pin the keys).
    File(PathBuf),
    /// An HTTPS URL.
    Web(http::Uri),
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// The set of GitHub's signing keys, by identifier: each the P-256 point of its
/// SubjectPublicKeyInfo.
pub struct SigningKeys {
    location: Location,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Vec<u8>>,
    fetched_at: Option<Instant>,
}

impl SigningKeys {
    /// Keys read from `url` when first needed: `https://…` or `file:///path`. Makes no call.
    pub fn new(url: &str) -> Result<Self, String> {
        let location = match url.strip_prefix("file://") {
            Some(path) => Location::File(PathBuf::from(path)),
            None => {
                let uri: http::Uri = url
                    .parse()
                    .map_err(|e| format!("SECRET_SCANNING_KEYS_URL: {e}"))?;
                if uri.scheme_str() != Some("https") {
                    return Err("SECRET_SCANNING_KEYS_URL: must be https:// or file://".into());
                }
                Location::Web(uri)
            }
        };
        Ok(Self {
            location,
            state: Mutex::default(),
        })
    }

    /// The keys at `SECRET_SCANNING_KEYS_URL`, else GitHub's [`DEFAULT_KEYS_URL`].
    pub fn from_env() -> Result<Self, String> {
        let url = std::env::var("SECRET_SCANNING_KEYS_URL")
            .ok()
            .filter(|u| !u.is_empty());
        Self::new(url.as_deref().unwrap_or(DEFAULT_KEYS_URL))
    }

    /// Checks `signature` (base64 DER) over `body` with the key named `identifier`.
    pub async fn verify(
        &self,
        identifier: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        if identifier.is_empty() || signature.is_empty() {
            return Err(SignatureError::Missing);
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| SignatureError::Malformed)?;
        let point = self.key(identifier).await?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &point)
            .verify(body, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }

    async fn key(&self, identifier: &str) -> Result<Vec<u8>, SignatureError> {
        let mut state = self.state.lock().await;
        if let Some(point) = state.keys.get(identifier) {
            return Ok(point.clone());
        }
        let may_fetch = state
            .fetched_at
            .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL);
        if !may_fetch {
            return Err(SignatureError::UnknownKey);
        }
        let document = tokio::time::timeout(FETCH_TIMEOUT, self.fetch())
            .await
            .map_err(|_| SignatureError::Unavailable("timed out".into()))??;
        state.keys = points_of(&document)?;
        state.fetched_at = Some(Instant::now());
        state
            .keys
            .get(identifier)
            .cloned()
            .ok_or(SignatureError::UnknownKey)
    }

    async fn fetch(&self) -> Result<Vec<u8>, SignatureError> {
        let unavailable = |e: &dyn std::fmt::Display| SignatureError::Unavailable(e.to_string());
        match &self.location {
            Location::File(path) => tokio::fs::read(path).await.map_err(|e| unavailable(&e)),
            // A client per fetch: fetches are rare (a cold start, an unknown identifier).
            Location::Web(uri) => {
                let client = https_client().map_err(|e| unavailable(&e))?;
                let response = client.get(uri.clone()).await.map_err(|e| unavailable(&e))?;
                if !response.status().is_success() {
                    return Err(unavailable(&response.status()));
                }
                let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                    .collect()
                    .await
                    .map_err(|e| unavailable(&e))?;
                Ok(body.to_bytes().to_vec())
            }
        }
    }
}

/// The P-256 points of a keys document, by identifier. A key that is not a P-256 public key
/// is left out (and logged): a report naming it is refused as signed by an unknown key.
fn points_of(document: &[u8]) -> Result<HashMap<String, Vec<u8>>, SignatureError> {
    let document: Document = serde_json::from_slice(document)
        .map_err(|e| SignatureError::Unavailable(format!("keys document: {e}")))?;
    let mut points = HashMap::new();
    for entry in document.public_keys {
        match p256_point(&entry.key) {
            Some(point) => {
                points.insert(entry.key_identifier, point);
            }
            None => tracing::warn!(
                key_identifier = %entry.key_identifier,
                "secret-scanning key is not a P-256 public key; left out"
            ),
        }
    }
    Ok(points)
}

/// The uncompressed point of a PEM `PUBLIC KEY` on P-256.
fn p256_point(pem: &str) -> Option<Vec<u8>> {
    let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).ok()?;
    let info = spki::SubjectPublicKeyInfoRef::try_from(der.as_ref()).ok()?;
    let curve = info.algorithm.parameters_oid().ok()?;
    (info.algorithm.oid == EC_PUBLIC_KEY && curve == P256)
        .then(|| info.subject_public_key.raw_bytes().to_vec())
}

/// HTTPS only, HTTP/1.1, the system's trust roots, ring's TLS: the stack the SDK uses.
fn https_client() -> Result<HttpsClient, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| format!("trust roots: {e}"))?
        .https_only()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

#[cfg(test)]
mod tests {
    use super::*;

    // A P-256 key and signature made with openssl for this test (no secret: a throwaway).
    const PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEy6Dn9GQYoxnBDW7t5N6iT6JpN2uK\n\
        -----END PUBLIC KEY-----\n";

    #[test]
    fn only_p256_public_keys_are_kept() {
        assert_eq!(p256_point(PEM), None, "a truncated key is not a key");
        assert_eq!(p256_point("not a pem"), None);
        let doc = br#"{"public_keys":[{"key_identifier":"x","key":"junk","is_current":true}]}"#;
        assert!(points_of(doc).unwrap().is_empty());
        assert!(points_of(b"[]").is_err());
    }
}
