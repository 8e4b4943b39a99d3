//! An API stage's authorizer cache on API Gateway: `FlushStageAuthorizersCache` for a REST
//! API, `ResetAuthorizersCache` for an HTTP API.

use super::{FlushError, StageCache};
use crate::store::sdk::{Service, lambda_sdk_config_for};
use async_trait::async_trait;

/// Which API Gateway API the stage belongs to: the two have their own management calls.
#[derive(Debug, Clone)]
enum Api {
    Rest(aws_sdk_apigateway::Client),
    Http(aws_sdk_apigatewayv2::Client),
}

/// One stage of one API, flushed through API Gateway's management API.
#[derive(Debug, Clone)]
pub struct ApiGatewayStage {
    api: Api,
    api_id: String,
    stage: String,
}

/// The function's environment does not name the stage, or names an unknown kind of API.
#[derive(Debug, thiserror::Error)]
pub enum StageConfigError {
    /// A variable is missing.
    #[error("{0} is not set: the template names the API and stage to flush")]
    Missing(&'static str),
    /// `API_TYPE` is neither `REST` nor `HTTP`.
    #[error("API_TYPE must be REST or HTTP")]
    ApiType,
}

impl ApiGatewayStage {
    /// The stage `STAGE_NAME` of the API `API_ID`, a REST API unless `API_TYPE` is `HTTP`,
    /// with a client configured as every function's (the endpoint:
    /// `AWS_ENDPOINT_URL_API_GATEWAY`, or `AWS_ENDPOINT_URL_APIGATEWAYV2` for an HTTP API,
    /// else `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Result<Self, StageConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok()).await
    }

    /// [`from_env`](Self::from_env) with the variables from `lookup`.
    pub async fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, StageConfigError> {
        let var = |name: &'static str| lookup(name).filter(|v| !v.is_empty());
        let required = |name| var(name).ok_or(StageConfigError::Missing(name));
        let (api_id, stage) = (required("API_ID")?, required("STAGE_NAME")?);
        match var("API_TYPE").as_deref() {
            None | Some("REST") => {
                let config = lambda_sdk_config_for(Service::ApiGateway).await;
                Ok(Self::rest(
                    aws_sdk_apigateway::Client::new(&config),
                    api_id,
                    stage,
                ))
            }
            Some("HTTP") => {
                let config = lambda_sdk_config_for(Service::ApiGatewayV2).await;
                Ok(Self::http(
                    aws_sdk_apigatewayv2::Client::new(&config),
                    api_id,
                    stage,
                ))
            }
            Some(_) => Err(StageConfigError::ApiType),
        }
    }

    /// The stage `stage` of the REST API `api_id`, through `client`.
    pub fn rest(client: aws_sdk_apigateway::Client, api_id: String, stage: String) -> Self {
        Self {
            api: Api::Rest(client),
            api_id,
            stage,
        }
    }

    /// The stage `stage` of the HTTP API `api_id`, through `client`.
    pub fn http(client: aws_sdk_apigatewayv2::Client, api_id: String, stage: String) -> Self {
        Self {
            api: Api::Http(client),
            api_id,
            stage,
        }
    }

    fn failed(&self, source: Box<dyn std::error::Error + Send + Sync>) -> FlushError {
        let kind = match self.api {
            Api::Rest(_) => "REST",
            Api::Http(_) => "HTTP",
        };
        FlushError {
            api: format!("{kind} API {}", self.api_id),
            stage: self.stage.clone(),
            source,
        }
    }
}

#[async_trait]
impl StageCache for ApiGatewayStage {
    async fn flush(&self) -> Result<(), FlushError> {
        let (api_id, stage) = (&self.api_id, &self.stage);
        let sent = match &self.api {
            Api::Rest(client) => client
                .flush_stage_authorizers_cache()
                .rest_api_id(api_id)
                .stage_name(stage)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into()),
            Api::Http(client) => client
                .reset_authorizers_cache()
                .api_id(api_id)
                .stage_name(stage)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| e.into()),
        };
        sent.map_err(|e| self.failed(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn stage(vars: &[(&str, &str)]) -> Result<ApiGatewayStage, StageConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ApiGatewayStage::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .await
    }

    #[tokio::test]
    async fn the_environment_names_the_stage_and_the_kind_of_api() {
        let base = [("API_ID", "abc123"), ("STAGE_NAME", "prod")];
        assert!(matches!(stage(&base).await.unwrap().api, Api::Rest(_)));
        let http = [base[0], base[1], ("API_TYPE", "HTTP")];
        assert!(matches!(stage(&http).await.unwrap().api, Api::Http(_)));
        let rest = [base[0], base[1], ("API_TYPE", "REST")];
        assert!(matches!(stage(&rest).await.unwrap().api, Api::Rest(_)));
        let wrong = [base[0], base[1], ("API_TYPE", "WEBSOCKET")];
        assert!(matches!(
            stage(&wrong).await,
            Err(StageConfigError::ApiType)
        ));
        let missing = [("STAGE_NAME", "prod"), ("API_ID", "")];
        assert!(matches!(
            stage(&missing).await,
            Err(StageConfigError::Missing("API_ID"))
        ));
    }
}
