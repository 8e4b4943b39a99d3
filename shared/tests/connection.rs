//! How the functions reach DynamoDB: over TLS, trusting a private CA only through the
//! bundle `AWS_CA_BUNDLE` names, and with a connection warm-up that a silent endpoint
//! cannot hold past its bound.
//!
//! A throwaway CA signs a certificate for `localhost`; a TLS proxy presenting it forwards
//! to the local DynamoDB the test script started.

mod support;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use keyauth::store::dynamo::{DynamoStore, WarmUpTable, https_client_trusting, sdk_config};
use keyauth::store::{KeyReader, KeyWriter};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS proxy on loopback in front of the local DynamoDB, and the PEM of the CA that
/// signed its certificate.
struct TlsProxy {
    port: u16,
    ca_pem: String,
}

async fn tls_proxy() -> TlsProxy {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let upstream = support::require_endpoint()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends its handshake: nothing to relay.
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                if let Ok(mut dynamo) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut dynamo).await;
                }
            });
        }
    });
    TlsProxy { port, ca_pem }
}

/// A file of its own under the system's temporary directory.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "keyauth-{}-{}-{name}",
        std::process::id(),
        keyauth::domain::ids::new_product_id().unwrap()
    ));
    std::fs::write(&path, contents).unwrap();
    path
}

/// A store on fresh tables, reached through the proxy with the client the functions use,
/// trusting the system's roots plus `bundle`.
async fn store_through(proxy: &TlsProxy, bundle: Option<&Path>) -> DynamoStore {
    let (_, tables) = support::dynamo_tables().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(format!("https://localhost:{}", proxy.port))
        .http_client(https_client_trusting(bundle))
        .build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), tables)
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn a_private_ca_named_by_the_bundle_is_trusted() {
    let proxy = tls_proxy().await;
    let bundle = temp_file("ca.pem", &proxy.ca_pem);
    let store = store_through(&proxy, Some(&bundle)).await;
    let record = support::record("user_tls", "over tls", 1);
    store
        .put_new(&record, &support::created_event(&record))
        .await
        .expect("a transaction over TLS");
    let read = store
        .get_by_hash(&record.key_hash)
        .await
        .expect("a read over TLS");
    assert_eq!(read.map(|k| k.id), Some(record.id));
    std::fs::remove_file(bundle).unwrap();
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn without_the_ca_the_handshake_fails_closed() {
    let proxy = tls_proxy().await;
    let store = store_through(&proxy, None).await;
    let record = support::record("user_tls", "untrusted", 1);
    let error = store.get_by_hash(&record.key_hash).await.unwrap_err();
    let chain = format!("{}", DisplayErrorContext(&error));
    assert!(chain.contains("certificate"), "{chain}");
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint; scripts/test provides one"]
async fn a_bundle_without_certificates_is_ignored_and_fails_closed() {
    let proxy = tls_proxy().await;
    let broken = proxy.ca_pem.replace("MII", "!!!");
    let bundle = temp_file("broken.pem", &broken);
    let store = store_through(&proxy, Some(&bundle)).await;
    let record = support::record("user_tls", "broken bundle", 1);
    let error = store.get_by_hash(&record.key_hash).await.unwrap_err();
    let chain = format!("{}", DisplayErrorContext(&error));
    assert!(chain.contains("certificate"), "{chain}");
    std::fs::remove_file(bundle).unwrap();
}

/// An endpoint that accepts connections and never answers: the warm-up gives up at its
/// own bound (1.5 s), well before the SDK's 3 s operation timeout, and init goes on.
#[tokio::test]
async fn the_warm_up_is_bounded_against_a_silent_endpoint() {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            open.push(connection);
        }
    });
    // Region and credentials of its own: this test needs no environment.
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        keyauth::edge::config::TableNames {
            keys: "keys".into(),
            events: "events".into(),
            products: "products".into(),
            usage: "usage".into(),
        },
    );
    let started = Instant::now();
    store.warm_up(WarmUpTable::Keys).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1_400), "{took:?}");
    assert!(took < Duration::from_millis(2_900), "{took:?}");
    held.abort();
}
