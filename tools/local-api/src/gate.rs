//! One authorizer as API Gateway attaches it to routes: the real authorizer, its cache of
//! answers per `x-api-key`, and the evaluation of its policy against the called method ARN,
//! with API Gateway's own answers for every refusal.

use crate::authorizer_cache::AuthorizerCache;
use crate::{gateway_answer, gateway_answer_with};
use axum::body::Body;
use axum::http::Response;
use keyauth::domain::clock::now_ms;
use keyauth::domain::error::ErrorChain;
use keyauth::edge::authorizer::{
    self, AuthorizerError, AuthorizerResponse, AuthorizerSettings, RestAnswer,
};
use keyauth::edge::context::context_keys;
use keyauth::emulation::events::GatewayRequest;
use keyauth::emulation::gateway_responses as gateway;
use keyauth::emulation::policy_evaluation::{self, Decision};
use keyauth::store::VerifyStore;
use std::sync::Arc;
use std::time::Duration;

/// An authorizer and its cache.
#[derive(Clone)]
pub(crate) struct Gate {
    settings: Arc<AuthorizerSettings>,
    cache: Arc<AuthorizerCache>,
}

impl Gate {
    /// An authorizer whose answers are kept `ttl` per key (zero: off).
    pub(crate) fn new(settings: AuthorizerSettings, ttl: Duration) -> Self {
        Self {
            settings: Arc::new(settings),
            cache: Arc::new(AuthorizerCache::new(ttl)),
        }
    }

    /// The authorizer's settings.
    pub(crate) fn settings(&self) -> &AuthorizerSettings {
        &self.settings
    }

    /// `FlushStageAuthorizersCache`.
    pub(crate) fn flush(&self) {
        self.cache.flush();
    }

    /// The authorizer's answer when its policy allows the request; otherwise the response
    /// API Gateway sends instead (401, 403 with the `denyCode`, or 500).
    pub(crate) async fn authorize(
        &self,
        store: &dyn VerifyStore,
        request: &GatewayRequest,
        api_key: Option<&str>,
    ) -> Result<RestAnswer, Response<Body>> {
        let cached = api_key.and_then(|key| self.cache.get(key));
        let answer = match cached {
            Some(policy) => Ok(AuthorizerResponse::Rest(policy)),
            None => {
                let event = request.authorizer_event();
                authorizer::handle(store, &self.settings, event, now_ms()).await
            }
        };
        let decision = match answer {
            Ok(AuthorizerResponse::Rest(decision)) => {
                if let Some(key) = api_key {
                    self.cache.put(key, &decision);
                }
                decision
            }
            Ok(AuthorizerResponse::HttpV2(_)) => {
                tracing::error!("a REST event got an HTTP API answer");
                return Err(gateway_answer(&gateway::AUTHORIZER_FAILURE));
            }
            Err(AuthorizerError::Unauthorized) => {
                return Err(gateway_answer(&gateway::UNAUTHORIZED));
            }
            Err(e) => {
                tracing::error!(error = %ErrorChain(&e), "authorizer failed");
                return Err(gateway_answer(&gateway::AUTHORIZER_FAILURE));
            }
        };
        let statements = policy_evaluation::statements_of(&decision.policy());
        // ACCESS_DENIED shows the authorizer's denyCode as error.code, as the template says.
        let deny_code = decision.context[context_keys::DENY_CODE].as_str();
        match policy_evaluation::evaluate(&statements, &request.method_arn()) {
            Decision::Allow => Ok(decision),
            Decision::ImplicitDeny => Err(gateway_answer_with(&gateway::ACCESS_DENIED, deny_code)),
            Decision::ExplicitDeny => Err(gateway_answer_with(
                &gateway::ACCESS_DENIED_EXPLICIT,
                deny_code,
            )),
        }
    }
}
