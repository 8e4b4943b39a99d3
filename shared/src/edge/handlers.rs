//! The `lambda_http` entry points of the three HTTP functions: route, identify the caller,
//! parse, call the rules, answer. The binaries in `functions/` only wire these up.

use crate::domain::caller::Caller;
use crate::domain::clock::{Millis, now_ms};
use crate::domain::error::DomainError;
use crate::domain::routes::{Endpoint, Function};
use crate::edge::config::Config;
use crate::edge::errors::ApiError;
use crate::edge::http::{
    self, caller_from_authorizer_context, error_response, json_body, json_response,
    optional_json_body, path_param, query_param,
};
use crate::edge::wire::{
    ApiKeyView, CreateKeyRequest, CreateProductRequest, EventList, KeyList, ListParams,
    RerollKeyRequest, RevokeKeyRequest, RevokedView, UpdateKeyRequest, VerifyKeyRequest,
    VerifyResult, parse_key_id, parse_limit,
};
use crate::operations::{self, IssuedKey};
use crate::store::{KeyStore, ProductWriter, VerifyStore};
use lambda_http::{Body, Request, Response};
use std::time::Instant;

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
        let id = || parse_key_id(&path_param(&req, "id").unwrap_or_default());
        let prefix = &config.key_prefix;
        match endpoint {
            Endpoint::CreateKey => {
                let body: CreateKeyRequest = json_body(&req)?;
                limits_can_hold(config, body.ratelimit.is_some(), body.credits.is_some())?;
                let new = body.parse(now)?;
                let issued =
                    operations::create::create_key(store, prefix, &caller, new, now).await?;
                Ok(issued_response(issued, now))
            }
            Endpoint::ListKeys => {
                let request = ListParams::from_query(|name| query_param(&req, name)).parse()?;
                let page = operations::list::list_keys(store, &caller, request, now).await?;
                let list = KeyList {
                    data: page.items.iter().map(|k| ApiKeyView::of(k, now)).collect(),
                    next_cursor: page.next_cursor,
                };
                Ok(json_response(200, &list))
            }
            Endpoint::GetKey => {
                let key = operations::get::get_key(store, &caller, &id()?, now).await?;
                Ok(json_response(200, &ApiKeyView::of(&key, now)))
            }
            Endpoint::UpdateKey => {
                let body: UpdateKeyRequest = json_body(&req)?;
                limits_can_hold(
                    config,
                    matches!(body.ratelimit, Some(Some(_))),
                    matches!(body.credits, Some(Some(_))),
                )?;
                let changes = body.parse(now)?;
                let key =
                    operations::update::update_key(store, &caller, &id()?, changes, now).await?;
                Ok(json_response(200, &ApiKeyView::of(&key, now)))
            }
            Endpoint::RerollKey => {
                let grace = optional_json_body::<RerollKeyRequest>(&req)?.parse()?;
                let issued =
                    operations::reroll::reroll_key(store, prefix, &caller, &id()?, grace, now)
                        .await?;
                Ok(issued_response(issued, now))
            }
            Endpoint::RevokeKey => {
                let revocation = optional_json_body::<RevokeKeyRequest>(&req)?.parse()?;
                let deadline = Instant::now() + config.cascade_budget;
                let revoked = operations::revoke::revoke_key(
                    store,
                    &caller,
                    &id()?,
                    revocation,
                    now,
                    deadline,
                )
                .await?;
                Ok(json_response(200, &RevokedView::of(&revoked, now)))
            }
            Endpoint::ListKeyEvents => {
                let limit = parse_limit(query_param(&req, "limit"))?;
                let cursor = query_param(&req, "cursor").filter(|c| !c.is_empty());
                let id = id()?;
                let page =
                    operations::events::list_key_events(store, &caller, &id, limit, cursor, now)
                        .await?;
                Ok(json_response(200, &EventList::from(page)))
            }
            _ => Err(not_served(&req)),
        }
    }
    .await;
    finish(result)
}

/// A key just made, with its secret: 201.
fn issued_response(issued: IssuedKey, now: Millis) -> Response<Body> {
    json_response(
        201,
        &ApiKeyView::with_secret(&issued.key, issued.secret, now),
    )
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
        return Err(DomainError::invalid(
            field,
            "usage limits need AuthorizerCacheTtl 0: a cached authorizer decision is reused without counting",
        )
        .into());
    }
    Ok(())
}

/// `POST /keys/verify`.
pub async fn verify_key(store: &dyn VerifyStore, config: &Config, req: Request) -> Response<Body> {
    let result = async {
        let (_, caller) = resolve_route_and_caller(&req, Function::VerifyKey)?;
        let request = json_body::<VerifyKeyRequest>(&req)?.parse()?;
        let now = now_ms();
        let verification =
            operations::verify::verify_key(store, &config.key_prefix, &caller, request, now)
                .await?;
        Ok(json_response(200, &VerifyResult::of(&verification, now)))
    }
    .await;
    finish(result)
}

/// `POST /products`.
pub async fn create_product(store: &dyn ProductWriter, req: Request) -> Response<Body> {
    let result = async {
        let (_, caller) = resolve_route_and_caller(&req, Function::CreateProduct)?;
        let new = json_body::<CreateProductRequest>(&req)?.parse()?;
        let product = operations::products::create_product(store, &caller, new, now_ms()).await?;
        Ok(json_response(201, &product))
    }
    .await;
    finish(result)
}

/// A handler's answer: its success response, or its error in the one error shape.
fn finish(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|e| error_response(&e))
}
