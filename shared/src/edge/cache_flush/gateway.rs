//! The stage's authorizer cache on API Gateway: `FlushStageAuthorizersCache`.

use super::{FlushError, StageCache};
use crate::store::sdk::{Service, lambda_sdk_config_for};
use async_trait::async_trait;
use aws_sdk_apigateway::Client;

/// One stage of one REST API, flushed through API Gateway's management API.
#[derive(Debug, Clone)]
pub struct ApiGatewayStage {
    client: Client,
    rest_api_id: String,
    stage: String,
}

/// The function's environment does not name the stage.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not set: the template names the REST API and stage to flush")]
pub struct StageConfigError(&'static str);

impl ApiGatewayStage {
    /// The stage `REST_API_ID` and `STAGE_NAME` name, with a client configured as every
    /// function's (the endpoint: `AWS_ENDPOINT_URL_API_GATEWAY`, else `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Result<Self, StageConfigError> {
        let var = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or(StageConfigError(name))
        };
        let (rest_api_id, stage) = (var("REST_API_ID")?, var("STAGE_NAME")?);
        let client = Client::new(&lambda_sdk_config_for(Service::ApiGateway).await);
        Ok(Self::new(client, rest_api_id, stage))
    }

    /// The stage `stage` of `rest_api_id`, through `client`.
    pub fn new(client: Client, rest_api_id: String, stage: String) -> Self {
        Self {
            client,
            rest_api_id,
            stage,
        }
    }
}

#[async_trait]
impl StageCache for ApiGatewayStage {
    async fn flush(&self) -> Result<(), FlushError> {
        self.client
            .flush_stage_authorizers_cache()
            .rest_api_id(&self.rest_api_id)
            .stage_name(&self.stage)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| FlushError {
                rest_api_id: self.rest_api_id.clone(),
                stage: self.stage.clone(),
                source: Box::new(e),
            })
    }
}
