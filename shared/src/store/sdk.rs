//! The AWS SDK configuration for DynamoDB (API Gateway for the cache flush, S3 for a routes
//! document kept there, EventBridge for the key-changes bus): explicit timeouts and retries
//! and one HTTPS client we choose, for the tools (default chains) and the functions (the
//! environment only: nothing probed that Lambda already says).

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::region::ProvideRegion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::{SharedCredentialsProvider, SharedHttpClient};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::time::Duration;

/// Timeouts that keep a read and a write back to back well inside the functions' 10 s
/// Lambda timeout, so a dead endpoint is an error, not a hang.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(3))
        .build()
}

fn retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

/// The tools' and tests' configuration: the SDK's default chains for region, credentials
/// and endpoint (environment, profile files, and further), with our client, timeouts and
/// retries.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// A function's configuration: Lambda puts the region and the role's credentials in the
/// environment, so nothing else is probed (no profile files, no instance metadata, no
/// STS), and none of those chains is compiled into the functions. The endpoint is the
/// SDK's `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL` (a local DynamoDB).
pub async fn lambda_sdk_config() -> SdkConfig {
    lambda_sdk_config_for(Service::DynamoDb).await
}

/// The AWS service a function's configuration is for: it names the endpoint variable the
/// SDK would read for it.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    /// `AWS_ENDPOINT_URL_DYNAMODB`.
    DynamoDb,
    /// `AWS_ENDPOINT_URL_API_GATEWAY` (REST APIs).
    ApiGateway,
    /// `AWS_ENDPOINT_URL_APIGATEWAYV2` (HTTP APIs).
    ApiGatewayV2,
    /// `AWS_ENDPOINT_URL_S3`.
    S3,
    /// `AWS_ENDPOINT_URL_EVENTBRIDGE`.
    EventBridge,
}

impl Service {
    fn endpoint_variable(self) -> &'static str {
        match self {
            Self::DynamoDb => "AWS_ENDPOINT_URL_DYNAMODB",
            Self::ApiGateway => "AWS_ENDPOINT_URL_API_GATEWAY",
            Self::ApiGatewayV2 => "AWS_ENDPOINT_URL_APIGATEWAYV2",
            Self::S3 => "AWS_ENDPOINT_URL_S3",
            Self::EventBridge => "AWS_ENDPOINT_URL_EVENTBRIDGE",
        }
    }
}

/// [`lambda_sdk_config`] for `service`: its own endpoint variable, else `AWS_ENDPOINT_URL`.
pub async fn lambda_sdk_config_for(service: Service) -> SdkConfig {
    let region = EnvironmentVariableRegionProvider::new().region().await;
    let credentials = EnvironmentVariableCredentialsProvider::new();
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https_client())
        .timeout_config(timeouts())
        .retry_config(retries());
    config.set_endpoint_url(endpoint_url(service, |name| std::env::var(name).ok()));
    config.build()
}

/// The endpoint the environment names for `service`, by the SDK's precedence: the
/// service's own variable, then the global one; an empty value is no value.
fn endpoint_url(service: Service, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    [service.endpoint_variable(), "AWS_ENDPOINT_URL"]
        .into_iter()
        .find_map(|name| var(name).filter(|url| !url.is_empty()))
}

/// rustls with ring: no aws-lc start-up and no post-quantum key share, whose generation a
/// 128 MB function pays for in its first handshake. Trusts the system's roots
/// (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured) plus the PEM bundle `AWS_CA_BUNDLE`
/// names, for private endpoints. A new one per configuration: a client's pooled connections
/// belong to the runtime that opened them, and tests run a runtime each.
fn https_client() -> SharedHttpClient {
    https_client_trusting(std::env::var_os("AWS_CA_BUNDLE").as_deref().map(Path::new))
}

/// The same client, trusting the system's roots plus the certificates of `ca_bundle`. A
/// bundle that cannot be read or holds no valid certificate is logged and ignored: the
/// endpoint it was meant for then fails its handshake, closed.
pub fn https_client_trusting(ca_bundle: Option<&Path>) -> SharedHttpClient {
    let mut trust = TrustStore::default();
    if let Some(path) = ca_bundle {
        match std::fs::read(path).map(|pem| (valid_pem(&pem), pem)) {
            Ok((true, pem)) => {
                trust.add_pem_certificate(pem);
            }
            Ok((false, _)) => tracing::warn!(
                ?path,
                "AWS_CA_BUNDLE holds no valid PEM certificate; ignored"
            ),
            Err(e) => tracing::warn!(?path, error = %e, "AWS_CA_BUNDLE cannot be read; ignored"),
        }
    }
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a trust store alone is a valid TLS context");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// Whether `pem` holds certificates and nothing that fails to parse (the HTTP client
/// would refuse the whole bundle at its first connection).
fn valid_pem(pem: &[u8]) -> bool {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .is_ok_and(|certs| !certs.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_endpoint_wins_and_empty_is_unset() {
        fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        }
        let both = [
            ("AWS_ENDPOINT_URL", "http://global"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://dynamodb"),
        ];
        let dynamodb = |vars| endpoint_url(Service::DynamoDb, env(vars));
        assert_eq!(dynamodb(&both).as_deref(), Some("http://dynamodb"));
        assert_eq!(
            endpoint_url(Service::ApiGateway, env(&both)).as_deref(),
            Some("http://global")
        );
        let gateway = [("AWS_ENDPOINT_URL_API_GATEWAY", "http://gateway"), both[1]];
        assert_eq!(
            endpoint_url(Service::ApiGateway, env(&gateway)).as_deref(),
            Some("http://gateway")
        );
        let global = [("AWS_ENDPOINT_URL", "http://global")];
        assert_eq!(dynamodb(&global).as_deref(), Some("http://global"));
        let empty = [
            ("AWS_ENDPOINT_URL_DYNAMODB", ""),
            ("AWS_ENDPOINT_URL", "http://global"),
        ];
        assert_eq!(dynamodb(&empty).as_deref(), Some("http://global"));
        assert_eq!(dynamodb(&[]), None);
    }

    #[test]
    fn only_parsable_bundles_are_added() {
        assert!(!valid_pem(b""));
        assert!(!valid_pem(b"not a certificate"));
        assert!(!valid_pem(
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
        ));
    }
}
