//! HTTP API events (payload 2.0, simple responses): a yes or no for the route called.
//!
//! If caching is on there, `$context.routeKey` must be among the identity sources, so that
//! a decision is never reused for another route. A client sees 403 for `false` and never
//! our error body.

use super::{
    AuthorizerError, AuthorizerRequest, AuthorizerSettings, authenticate, charge_request,
    limits_not_enforceable, presented_key,
};
use crate::domain::clock::Millis;
use crate::edge::context::context_of;
use crate::store::VerifyStore;
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerSimpleResponse;
use serde_json::json;

/// The route key of an HTTP API's catch-all route, which any request may fall on.
const DEFAULT_ROUTE: &str = "$default";

pub(super) async fn authorize(
    store: &dyn VerifyStore,
    settings: &AuthorizerSettings,
    request: &AuthorizerRequest,
    now: Millis,
) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, AuthorizerError> {
    // HTTP APIs turn only `isAuthorized: false` into a refusal (403); an error is a 500.
    let Ok(presented) = presented_key(&settings.prefix, request) else {
        return Ok(refused());
    };
    let key = match authenticate(store, &presented, now).await {
        Ok(key) => key,
        Err(AuthorizerError::Unauthorized) => return Ok(refused()),
        Err(e) => return Err(e),
    };
    let mut response = refused();
    let countable = !(key.has_limits() && settings.cached);
    if !countable {
        limits_not_enforceable(&key);
    }
    response.is_authorized = countable
        && granted(settings, request, &key.scopes)
        && charge_request(store, &key, now).await?.is_none();
    response.context = if response.is_authorized {
        context_of(&key)
    } else {
        json!({})
    };
    Ok(response)
}

/// Whether the scopes grant the route: by its route key as the document writes it, or for
/// `$default`, by the request's method and path (the stage taken off a named stage's path).
fn granted(settings: &AuthorizerSettings, request: &AuthorizerRequest, held: &[String]) -> bool {
    match request.route_key.as_deref() {
        Some(DEFAULT_ROUTE) => {
            let (Some(method), Some(path)) = (&request.http_method, &request.raw_path) else {
                return false;
            };
            let path = match request.stage.as_deref() {
                Some(stage) if stage != DEFAULT_ROUTE => path
                    .strip_prefix('/')
                    .and_then(|p| p.strip_prefix(stage))
                    .filter(|p| p.starts_with('/'))
                    .unwrap_or(path),
                _ => path,
            };
            settings.routes.grants(held, method, path)
        }
        Some(route_key) => settings
            .routes
            .grants_route_key(held, route_key)
            .unwrap_or(false),
        None => false,
    }
}

fn refused() -> ApiGatewayV2CustomAuthorizerSimpleResponse {
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    response.is_authorized = false;
    response.context = json!({});
    response
}
