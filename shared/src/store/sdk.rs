//! The AWS SDK configuration every function and tool uses for DynamoDB: explicit timeouts
//! and retries, one HTTPS client we choose, and on Lambda nothing probed that the
//! environment already says.

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::time::Duration;

/// Region, credentials and endpoint from the environment (`AWS_ENDPOINT_URL_DYNAMODB` for a
/// local DynamoDB), with explicit timeouts: a read and a write back to back stay well
/// inside the functions' 10 s Lambda timeout, and a dead endpoint is an error, not a hang.
pub async fn sdk_config() -> SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(3))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    // Lambda puts the region and the role's credentials in the environment; the default
    // chains would look for profile files (and, for credentials, further) first.
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        loader = loader
            .region(EnvironmentVariableRegionProvider::new())
            .credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader.load().await
}

/// rustls with ring: no aws-lc start-up and no post-quantum key share, whose generation a
/// 128 MB function pays for in its first handshake. Trusts the system's roots
/// (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured) plus the PEM bundle `AWS_CA_BUNDLE`
/// names, for private endpoints.
fn https_client() -> SharedHttpClient {
    let mut trust = TrustStore::default();
    if let Some(path) = std::env::var_os("AWS_CA_BUNDLE") {
        match std::fs::read(&path).map(|pem| (valid_pem(&pem), pem)) {
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
    fn only_parsable_bundles_are_added() {
        assert!(!valid_pem(b""));
        assert!(!valid_pem(b"not a certificate"));
        assert!(!valid_pem(
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
        ));
    }
}
