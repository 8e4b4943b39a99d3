//! The `lambda_http` entry points of the three HTTP functions: route, identify the caller,
//! parse, call the rules, answer. The binaries in `functions/` only wire these up.

use crate::caller::Caller;
use crate::clock::now_ms;
use crate::config::Config;
use crate::error::ApiError;
use crate::http::{self, caller, json_body, optional_json_body, path_param, query_param, respond};
use crate::key_service::{self, ListKeysParams};
use crate::product_service;
use crate::routes::{Endpoint, Function};
use crate::store::{KeyStore, ProductWriter, VerifyStore};
use lambda_http::{Body, Request, Response};

fn not_served(req: &Request) -> ApiError {
    ApiError::NoRoute(format!("{} {}", req.method(), req.uri().path()))
}

/// The route this function serves for `req`, and the caller, who must hold the route's
/// scope (checked again here behind the authorizer's policy, before any body is read).
fn authorize(req: &Request, function: Function) -> Result<(Endpoint, Caller), ApiError> {
    let route = http::route(req)
        .filter(|r| r.function == function)
        .ok_or_else(|| not_served(req))?;
    let caller = caller(req)?;
    caller.require(route.scope)?;
    Ok((route.endpoint, caller))
}

/// `POST /keys`, `GET /keys`, `GET /keys/{id}`, `POST /keys/{id}/revoke`.
pub async fn manage_keys(store: &dyn KeyStore, config: &Config, req: Request) -> Response<Body> {
    let result = async {
        let (endpoint, caller) = authorize(&req, Function::ManageKeys)?;
        let now = now_ms();
        let id = || path_param(&req, "id").unwrap_or_default();
        match endpoint {
            Endpoint::CreateKey => {
                let body = json_body(&req)?;
                let key =
                    key_service::create_key(store, &config.key_prefix, &caller, body, now).await?;
                Ok((201, serde_json::to_value(key)))
            }
            Endpoint::ListKeys => {
                let params = ListKeysParams {
                    subject: query_param(&req, "subject"),
                    query: query_param(&req, "query"),
                    limit: query_param(&req, "limit"),
                    cursor: query_param(&req, "cursor"),
                    include_invalid: query_param(&req, "includeInvalid"),
                };
                let list = key_service::list_keys(store, &caller, params, now).await?;
                Ok((200, serde_json::to_value(list)))
            }
            Endpoint::GetKey => {
                let key = key_service::get_key(store, &caller, &id(), now).await?;
                Ok((200, serde_json::to_value(key)))
            }
            Endpoint::RevokeKey => {
                let body = optional_json_body(&req)?;
                let key = key_service::revoke_key(store, &caller, &id(), body, now).await?;
                Ok((200, serde_json::to_value(key)))
            }
            _ => Err(not_served(&req)),
        }
    }
    .await;
    finish(result)
}

/// `POST /keys/verify`.
pub async fn verify_key(store: &dyn VerifyStore, config: &Config, req: Request) -> Response<Body> {
    let result = async {
        let (_, caller) = authorize(&req, Function::VerifyKey)?;
        let body = json_body(&req)?;
        let verdict =
            key_service::verify_key(store, &config.key_prefix, &caller, body, now_ms()).await?;
        Ok((200, serde_json::to_value(verdict)))
    }
    .await;
    finish(result)
}

/// `POST /products`.
pub async fn create_product(store: &dyn ProductWriter, req: Request) -> Response<Body> {
    let result = async {
        let (_, caller) = authorize(&req, Function::CreateProduct)?;
        let body = json_body(&req)?;
        let product = product_service::create_product(store, &caller, body, now_ms()).await?;
        Ok((201, serde_json::to_value(product)))
    }
    .await;
    finish(result)
}

fn finish(
    result: Result<(u16, serde_json::Result<serde_json::Value>), ApiError>,
) -> Response<Body> {
    match result {
        Ok((status, Ok(body))) => respond(status, Ok(body)),
        Ok((_, Err(e))) => respond::<()>(500, Err(ApiError::Internal(e.to_string()))),
        Err(e) => respond::<()>(500, Err(e)),
    }
}
