//! The `lambda_http` entry points of the three HTTP functions: route, identify the caller,
//! parse, call the rules, answer. The binaries in `functions/` only wire these up.

use crate::api::{CreateKeyRequest, ListParams, UpdateKeyRequest};
use crate::audit;
use crate::caller::Caller;
use crate::clock::now_ms;
use crate::config::Config;
use crate::error::ApiError;
use crate::http::{
    self, caller_from_authorizer_context, error_response, json_body, json_response,
    optional_json_body, path_param, query_param,
};
use crate::keys;
use crate::products;
use crate::routes::{Endpoint, Function};
use crate::store::{KeyStore, ProductWriter, VerifyStore};
use lambda_http::{Body, Request, Response};

fn not_served(req: &Request) -> ApiError {
    ApiError::NoRoute(format!("{} {}", req.method(), req.uri().path()))
}

/// The route this function serves for `req`, and the caller, who must hold the route's
/// scope (checked again here behind the authorizer's policy, before any body is read).
fn resolve_route_and_caller(
    req: &Request,
    function: Function,
) -> Result<(Endpoint, Caller), ApiError> {
    let route = http::route(req)
        .filter(|r| r.function == function)
        .ok_or_else(|| not_served(req))?;
    let caller = caller_from_authorizer_context(req)?;
    caller.require(route.scope)?;
    Ok((route.endpoint, caller))
}

/// `POST /keys`, `GET /keys`, `GET /keys/{id}`, `PATCH /keys/{id}`,
/// `POST /keys/{id}/reroll`, `POST /keys/{id}/revoke`, `GET /keys/{id}/events`.
pub async fn manage_keys(store: &dyn KeyStore, config: &Config, req: Request) -> Response<Body> {
    let result = async {
        let (endpoint, caller) = resolve_route_and_caller(&req, Function::ManageKeys)?;
        let now = now_ms();
        let id = || path_param(&req, "id").unwrap_or_default();
        match endpoint {
            Endpoint::CreateKey => {
                let body: CreateKeyRequest = json_body(&req)?;
                limits_can_hold(config, body.ratelimit.is_some(), body.credits.is_some())?;
                let key = keys::create_key(store, &config.key_prefix, &caller, body, now).await?;
                Ok(json_response(201, &key))
            }
            Endpoint::ListKeys => {
                let params = ListParams::parse(|name| query_param(&req, name))?;
                let mut list = keys::list_keys(store, &caller, params, now).await?;
                keys::live::show(store, &mut list.data, now).await?;
                Ok(json_response(200, &list))
            }
            Endpoint::GetKey => {
                let mut key = keys::get_key(store, &caller, &id(), now).await?;
                keys::live::show(store, std::slice::from_mut(&mut key), now).await?;
                Ok(json_response(200, &key))
            }
            Endpoint::UpdateKey => {
                let body: UpdateKeyRequest = json_body(&req)?;
                limits_can_hold(
                    config,
                    matches!(body.ratelimit, Some(Some(_))),
                    matches!(body.credits, Some(Some(_))),
                )?;
                let key = keys::update_key(store, &caller, &id(), body, now).await?;
                Ok(json_response(200, &key))
            }
            Endpoint::RerollKey => {
                let body = optional_json_body(&req)?;
                let mut key =
                    keys::reroll_key(store, &config.key_prefix, &caller, &id(), body, now).await?;
                keys::live::show(store, std::slice::from_mut(&mut key), now).await?;
                Ok(json_response(201, &key))
            }
            Endpoint::RevokeKey => {
                let body = optional_json_body(&req)?;
                let mut key = keys::revoke_key(store, &caller, &id(), body, now).await?;
                keys::live::show(store, std::slice::from_mut(&mut key), now).await?;
                Ok(json_response(200, &key))
            }
            Endpoint::ListKeyEvents => {
                let get = |name: &str| query_param(&req, name);
                let events = audit::list_key_events(store, &caller, &id(), get, now).await?;
                Ok(json_response(200, &events))
            }
            _ => Err(not_served(&req)),
        }
    }
    .await;
    finish(result)
}

/// Limits are counted by the authorizer, which API Gateway skips while it serves a cached
/// decision: with the cache on, setting them is refused rather than silently not held.
fn limits_can_hold(config: &Config, ratelimit: bool, credits: bool) -> Result<(), ApiError> {
    let field = match (ratelimit, credits) {
        (true, _) => "ratelimit",
        (false, true) => "credits",
        (false, false) => return Ok(()),
    };
    if config.authorizer_cache_ttl > 0 {
        return Err(ApiError::validation(
            field,
            "usage limits need AuthorizerCacheTtl 0: a cached authorizer decision is reused without counting",
        ));
    }
    Ok(())
}

/// `POST /keys/verify`.
pub async fn verify_key(store: &dyn VerifyStore, config: &Config, req: Request) -> Response<Body> {
    let result = async {
        let (_, caller) = resolve_route_and_caller(&req, Function::VerifyKey)?;
        let body = json_body(&req)?;
        let verdict = keys::verify_key(store, &config.key_prefix, &caller, body, now_ms()).await?;
        Ok(json_response(200, &verdict))
    }
    .await;
    finish(result)
}

/// `POST /products`.
pub async fn create_product(store: &dyn ProductWriter, req: Request) -> Response<Body> {
    let result = async {
        let (_, caller) = resolve_route_and_caller(&req, Function::CreateProduct)?;
        let body = json_body(&req)?;
        let product = products::create_product(store, &caller, body, now_ms()).await?;
        Ok(json_response(201, &product))
    }
    .await;
    finish(result)
}

/// A handler's answer: its success response, or its error in the one error shape.
fn finish(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|e| error_response(&e))
}
