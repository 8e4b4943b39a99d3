//! The Lambda authorizer: API Gateway REST `REQUEST` events (answered with an IAM policy)
//! and HTTP API payload 2.0 events (answered with a simple response).
//!
//! Fail closed: a missing, malformed, unknown, revoked or expired key is `Unauthorized`;
//! a store failure or an event we do not understand is an error (API Gateway answers 500).
//! Nothing here ever answers Allow on an error.

use crate::domain::clock::Millis;
use crate::domain::error::ErrorChain;
use crate::domain::key::ApiKeyRecord;
use crate::domain::key_format::{KeyPrefix, ParsedKey};
use crate::edge::config::{Config, RoutesSource};
use crate::operations::authenticate::{self, Verdict};
use crate::operations::charge::{self, Refusal};
use crate::operations::verify::VerifyCode;
use crate::store::VerifyStore;
use crate::store::error::StoreError;
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerSimpleResponse;
use serde_json::Value;
use std::sync::Arc;

mod http_api;
mod json_parts;
mod protected;
mod request;
mod rest;
pub mod routes_object;
pub use protected::{ProtectedRoutes, RenderedPolicy, RoutesError};
pub use request::{AuthorizerRequest, EventType};
pub use rest::RestAnswer;
pub use routes_object::RoutesObjectError;

/// The header API Gateway takes the key from (the identity source).
pub const API_KEY_HEADER: &str = "x-api-key";

/// The `denyCode` of a key with usage limits behind a cached authorizer: API Gateway would
/// reuse a cached Allow without counting the request, so none is let through.
pub const LIMITS_NOT_ENFORCEABLE: &str = "limits_not_enforceable";

/// What the authorizer knows of its deployment, read once at start-up.
#[derive(Debug, Clone)]
pub struct AuthorizerSettings {
    /// The deployment's key prefix: a key of another format is refused before any read.
    pub prefix: KeyPrefix,
    /// API Gateway caches this authorizer's decisions (`AUTHORIZER_CACHE_TTL` above 0): a
    /// key that carries usage limits is then refused ([`LIMITS_NOT_ENFORCEABLE`]), never
    /// let through uncounted.
    pub cached: bool,
    /// The routes enforced: a routes document's, or this API's own.
    pub routes: Arc<ProtectedRoutes>,
}

impl AuthorizerSettings {
    /// As the function's configuration says, the routes document read from wherever it
    /// is (S3 once, here, in the init); a document that cannot be read or used fails the
    /// init, so the authorizer never runs on it.
    pub async fn load(config: &Config) -> Result<Self, RoutesError> {
        let RoutesSource::Object(object) = &config.routes else {
            return Self::of(config);
        };
        #[cfg(feature = "routes-object")]
        let document = {
            use crate::store::sdk::{Service, lambda_sdk_config_for};
            let client = aws_sdk_s3::Client::new(&lambda_sdk_config_for(Service::S3).await);
            routes_object::read(&client, object).await?
        };
        #[cfg(not(feature = "routes-object"))]
        let document: String = Err(RoutesObjectError::NotBuilt(object.to_string()))?;
        let settings = Self::with_document(config, Some(&document))?;
        tracing::info!(
            %object,
            bytes = document.len(),
            routes = settings.routes.table().routes().len(),
            "routes document read"
        );
        Ok(settings)
    }

    /// As the function's configuration says, for a document inline or none (this API's
    /// own routes); one in S3 is [`AuthorizerSettings::load`]'s to read.
    pub fn of(config: &Config) -> Result<Self, RoutesError> {
        match &config.routes {
            RoutesSource::OwnApi => Self::with_document(config, None),
            RoutesSource::Inline(document) => Self::with_document(config, Some(document)),
            RoutesSource::Object(object) => {
                Err(RoutesObjectError::Unread(object.to_string()).into())
            }
        }
    }

    /// `config`'s settings enforcing `document`, or this API's own routes.
    pub fn with_document(config: &Config, document: Option<&str>) -> Result<Self, RoutesError> {
        let cached = config.authorizer_cache_ttl > 0;
        let routes = match document {
            Some(document) => ProtectedRoutes::load(document, cached)?,
            None => ProtectedRoutes::own_api(cached),
        };
        Ok(Self {
            prefix: config.key_prefix.clone(),
            cached,
            routes: Arc::new(routes),
        })
    }

    /// With API Gateway's cache off, on this API's own routes: every request is the
    /// authorizer's to decide and count.
    pub fn uncached(prefix: KeyPrefix) -> Self {
        Self {
            prefix,
            cached: false,
            routes: Arc::new(ProtectedRoutes::own_api(false)),
        }
    }

    /// With API Gateway's cache on, on this API's own routes: a key with limits is refused,
    /// and each answer is its grant's policy, valid on every route.
    pub fn cached(prefix: KeyPrefix) -> Self {
        Self {
            prefix,
            cached: true,
            routes: Arc::new(ProtectedRoutes::own_api(true)),
        }
    }
}

/// Every way an authorization ends without an answer; none of them is an Allow.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizerError {
    /// The exact message API Gateway turns into a 401.
    #[error("Unauthorized")]
    Unauthorized,
    /// An event this authorizer does not answer (API Gateway: 500).
    #[error("unsupported authorizer event: {0}")]
    UnsupportedEvent(String),
    /// The key store failed (API Gateway: 500).
    #[error("key store failed")]
    Store(#[from] StoreError),
}

/// API Gateway reads `errorMessage`: exactly "Unauthorized" means 401, anything else 500.
impl From<AuthorizerError> for lambda_runtime::Diagnostic {
    fn from(e: AuthorizerError) -> Self {
        if !matches!(e, AuthorizerError::Unauthorized) {
            tracing::error!(error = %ErrorChain(&e), "authorization failed closed");
        }
        let error_type = match e {
            AuthorizerError::Unauthorized => "Unauthorized",
            AuthorizerError::UnsupportedEvent(_) => "UnsupportedEvent",
            AuthorizerError::Store(_) => "StoreUnavailable",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// Which kind of event a request is, by its own markers; anything else is refused.
enum EventKind<'a> {
    /// A REST API `REQUEST` event, with its method ARN.
    Rest(&'a str),
    /// An HTTP API payload 2.0 event.
    HttpV2,
}

fn kind_of(request: &AuthorizerRequest) -> Result<EventKind<'_>, AuthorizerError> {
    let unsupported = |why: &str| Err(AuthorizerError::UnsupportedEvent(why.to_owned()));
    match (request.is_v2, request.kind) {
        (true, _) if request.has_route_arn => Ok(EventKind::HttpV2),
        (_, Some(EventType::Request)) => match request.method_arn.as_deref() {
            Some(arn) => Ok(EventKind::Rest(arn)),
            None => unsupported("a REST REQUEST event without methodArn"),
        },
        (_, Some(EventType::Token)) => unsupported(
            "TOKEN authorizers are not supported; configure a REQUEST authorizer on x-api-key",
        ),
        _ => unsupported("neither a REST REQUEST nor an HTTP API 2.0 event"),
    }
}

/// The answer for each event shape; serialised once, by the runtime.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum AuthorizerResponse {
    /// A policy and context.
    Rest(RestAnswer),
    /// A simple yes/no with context.
    HttpV2(ApiGatewayV2CustomAuthorizerSimpleResponse),
}

/// Answers an event as API Gateway expects: the Lambda entry point, given the event as
/// the runtime decoded it.
pub async fn authorize(
    store: &dyn VerifyStore,
    settings: &AuthorizerSettings,
    request: &AuthorizerRequest,
    now: Millis,
) -> Result<AuthorizerResponse, AuthorizerError> {
    Ok(match kind_of(request)? {
        EventKind::Rest(arn) => {
            AuthorizerResponse::Rest(rest::authorize(store, settings, request, arn, now).await?)
        }
        EventKind::HttpV2 => {
            AuthorizerResponse::HttpV2(http_api::authorize(store, settings, request, now).await?)
        }
    })
}

/// The same, for an event already parsed as JSON (the local server, tests).
pub async fn handle(
    store: &dyn VerifyStore,
    settings: &AuthorizerSettings,
    event: Value,
    now: Millis,
) -> Result<AuthorizerResponse, AuthorizerError> {
    authorize(store, settings, &AuthorizerRequest::from_value(&event), now).await
}

/// The `x-api-key` header, if it is of this deployment's format: no read yet, and nothing
/// allocated for a refusal.
fn presented_key<'a>(
    prefix: &KeyPrefix,
    request: &'a AuthorizerRequest,
) -> Result<ParsedKey<'a>, AuthorizerError> {
    let presented = request
        .api_key()
        .map(str::trim)
        .ok_or(AuthorizerError::Unauthorized)?;
    prefix
        .parse(presented)
        .map_err(|_| refuse(&Verdict::Malformed))
}

/// One read: the key, if it is usable.
async fn authenticate(
    store: &dyn VerifyStore,
    presented: &ParsedKey<'_>,
    now: Millis,
) -> Result<ApiKeyRecord, AuthorizerError> {
    match authenticate::look_up(store, presented, now).await? {
        Verdict::Valid(key) => {
            authenticate::record_use(store, &key, now).await;
            Ok(key)
        }
        refused => Err(refuse(&refused)),
    }
}

/// Logs a refusal with the public id only; never the secret or its hash.
fn refuse(verdict: &Verdict) -> AuthorizerError {
    tracing::info!(
        reason = VerifyCode::of(verdict).as_str(),
        key_id = verdict.record().map(|k| k.id.as_str()),
        "key refused"
    );
    AuthorizerError::Unauthorized
}

/// A key with limits behind a cached authorizer: logged, and refused with its own code.
fn limits_not_enforceable(key: &ApiKeyRecord) -> &'static str {
    tracing::warn!(
        key_id = %key.id,
        "a key with usage limits behind a cached authorizer: refused, since cached decisions are not counted"
    );
    LIMITS_NOT_ENFORCEABLE
}

/// Charges one request (one credit) to the key's limits; `Some` when they refuse it.
async fn charge_request(
    store: &dyn VerifyStore,
    key: &ApiKeyRecord,
    now: Millis,
) -> Result<Option<Refusal>, AuthorizerError> {
    let charge = charge::charge(store, key, 1, now).await?;
    if let Some(refusal) = charge.refusal {
        tracing::info!(key_id = %key.id, reason = refusal.code(), "request over the key's limits");
    }
    Ok(charge.refusal)
}
