//! The `lambda_http` entry points of the three HTTP functions: route, identify the caller,
//! parse, call the rules, answer. The binaries in `functions/` only wire these up.

use crate::caller::Caller;
use crate::clock::now_ms;
use crate::config::Config;
use crate::error::ApiError;
use crate::http::{
    self, caller, error_response, json_body, json_response, optional_json_body, path_param,
    query_param,
};
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
                Ok(json_response(201, &key))
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
                Ok(json_response(200, &list))
            }
            Endpoint::GetKey => {
                let key = key_service::get_key(store, &caller, &id(), now).await?;
                Ok(json_response(200, &key))
            }
            Endpoint::RevokeKey => {
                let body = optional_json_body(&req)?;
                let key = key_service::revoke_key(store, &caller, &id(), body, now).await?;
                Ok(json_response(200, &key))
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
        Ok(json_response(200, &verdict))
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
        Ok(json_response(201, &product))
    }
    .await;
    finish(result)
}

/// A handler's answer: its success response, or its error in the one error shape.
fn finish(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(|e| error_response(&e))
}
