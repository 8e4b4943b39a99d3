//! The `lambda_http` entry points of the three HTTP functions: route, identify the caller,
//! parse, call the rules, answer. The binaries in `functions/` only wire these up.

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

fn endpoint_for(req: &Request, function: Function) -> Result<Endpoint, ApiError> {
    http::route(req)
        .filter(|r| r.function == function)
        .map(|r| r.endpoint)
        .ok_or_else(|| not_served(req))
}

/// `POST /keys`, `GET /keys`, `GET /keys/{id}`, `POST /keys/{id}/revoke`.
pub async fn manage_keys(store: &dyn KeyStore, config: &Config, req: Request) -> Response<Body> {
    let result = async {
        let endpoint = endpoint_for(&req, Function::ManageKeys)?;
        let caller = caller(&req)?;
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
        endpoint_for(&req, Function::VerifyKey)?;
        let caller = caller(&req)?;
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
        endpoint_for(&req, Function::CreateProduct)?;
        let caller = caller(&req)?;
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
