//! REST API `REQUEST` events (payload 1.0): Allow or Deny by an IAM policy, with context.

use super::protected::{ProtectedRoutes, RenderedPolicy};
use super::{
    AuthorizerError, AuthorizerRequest, AuthorizerSettings, authenticate, charge_request,
    limits_not_enforceable, presented_key,
};
use crate::domain::clock::Millis;
use crate::domain::policy::MethodArn;
use crate::edge::context::{context_keys, context_of};
use crate::operations::charge::Refusal;
use crate::store::VerifyStore;
use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerPolicy;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// A REST answer: the key's subject as principal, its policy (shared by every answer for
/// the same grant and stage), and the context the protected handlers read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestAnswer {
    /// The key's subject.
    pub principal_id: String,
    /// The policy document, as serialised once.
    #[serde(serialize_with = "raw_policy")]
    pub policy_document: RenderedPolicy,
    /// The identity handed on (`context_keys`).
    pub context: Value,
}

impl RestAnswer {
    /// The policy read back (the local server and the tests evaluate it).
    pub fn policy(&self) -> ApiGatewayCustomAuthorizerPolicy {
        serde_json::from_str(self.policy_document.get()).expect("a rendered policy reads back")
    }
}

fn raw_policy<S: Serializer>(policy: &RenderedPolicy, s: S) -> Result<S::Ok, S::Error> {
    policy.as_ref().serialize(s)
}

/// Allow with the policy of the key's grant: every route it may call, none it may not.
pub(super) async fn authorize(
    store: &dyn VerifyStore,
    settings: &AuthorizerSettings,
    request: &AuthorizerRequest,
    method_arn: &str,
    now: Millis,
) -> Result<RestAnswer, AuthorizerError> {
    // The key's format, then the ARN, then the read: a malformed key or event costs none.
    let presented = presented_key(&settings.prefix, request)?;
    let arn = MethodArn::parse(method_arn)
        .map_err(|e| AuthorizerError::UnsupportedEvent(e.to_string()))?;
    let key = authenticate(store, &presented, now).await?;
    let mut context = context_of(&key);
    // A request the policy lets through is charged to the key's limits; one it will deny
    // for a missing scope costs nothing. A key without limits skips even the route lookup:
    // the hot path stays one hash and one GetItem.
    let granted = || {
        let path = format!("/{}", arn.path());
        settings.routes.grants(&key.scopes, arn.method(), &path)
    };
    let refusal = if key.has_limits() && settings.cached {
        Some(limits_not_enforceable(&key))
    } else if key.has_limits() && granted() {
        charge_request(store, &key, now).await?.map(Refusal::code)
    } else {
        None
    };
    let policy_document = match refusal {
        Some(code) => {
            context[context_keys::DENY_CODE] = code.into();
            ProtectedRoutes::deny_stage(&arn)
        }
        None => settings.routes.policy(&key.scopes, &arn),
    };
    Ok(RestAnswer {
        principal_id: key.subject.clone(),
        policy_document,
        context,
    })
}
