//! The routes an authorizer protects, loaded once per container: the table requests are
//! matched against, the policy plan, and every policy rendered so far.

use crate::domain::policy::plan::{Conflict, Grant, PolicyPlan};
use crate::domain::policy::{Effect, MethodArn, Statement};
use crate::domain::routes::document::DocumentError;
use crate::domain::routes::own_api_table;
use crate::domain::routes::table::RouteTable;
use crate::domain::scopes::{self, Scope};
use crate::edge::authorizer::routes_object::RoutesObjectError;
use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerPolicy;
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most policies kept rendered; past it the memo starts again (a container rarely sees
/// more distinct grants than a document has scopes).
const MAX_RENDERED: usize = 1024;

/// A policy document as API Gateway reads it, serialised once and shared by every answer
/// for the same grant and stage.
pub type RenderedPolicy = Arc<RawValue>;

/// Why an authorizer cannot take a document; it then fails its init and never allows.
#[derive(Debug, thiserror::Error)]
pub enum RoutesError {
    /// The document is unreadable or wrong.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// Behind a cache, some key would get a policy that cannot match the document.
    #[error(
        "routes document: {0}; no cached policy can tell them apart. Give those routes one scope, or set AUTHORIZER_CACHE_TTL=0 so each request is answered alone"
    )]
    CachedConflict(Conflict),
    /// The document is in S3 and could not be read from there.
    #[error(transparent)]
    Object(#[from] RoutesObjectError),
}

/// The routes one authorizer enforces.
///
/// Behind API Gateway's cache (`cached`) a REST answer is the key's grant's policy, valid
/// on every route, rendered once per grant and stage. With the cache off, API Gateway asks
/// for every request and applies the answer to that request alone, so the answer allows or
/// denies exactly the called method ARN: smaller, exact for any document, and read the same
/// way by every evaluator of Allow statements (`sam local` ignores Deny statements).
#[derive(Debug)]
pub struct ProtectedRoutes {
    table: RouteTable,
    /// The per-grant policies' plan; only behind a cache.
    plan: Option<PolicyPlan>,
    rendered: Mutex<HashMap<(String, Grant), RenderedPolicy>>,
}

impl ProtectedRoutes {
    /// The project's own API.
    pub fn own_api(cached: bool) -> Self {
        Self::new(own_api_table(), cached).expect("the own API's patterns never conflict")
    }

    /// A document's routes; `cached` says whether API Gateway caches this authorizer's
    /// answers, which a conflicting document cannot allow.
    pub fn load(document: &str, cached: bool) -> Result<Self, RoutesError> {
        Self::new(RouteTable::parse(document)?, cached)
    }

    /// Compiled routes, analysed for per-grant policies when cached.
    pub fn new(table: RouteTable, cached: bool) -> Result<Self, RoutesError> {
        let plan = if cached {
            let plan = PolicyPlan::new(&table);
            if let Some(conflict) = plan.conflict() {
                return Err(RoutesError::CachedConflict(conflict.clone()));
            }
            Some(plan)
        } else {
            None
        };
        Ok(Self {
            table,
            plan,
            rendered: Mutex::new(HashMap::new()),
        })
    }

    /// The table.
    pub fn table(&self) -> &RouteTable {
        &self.table
    }

    /// The scopes the document names, each once, in document order.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = Vec::new();
        for route in self.table.routes() {
            if !scopes.contains(&route.scope) {
                scopes.push(route.scope.clone());
            }
        }
        scopes
    }

    /// Whether `held` grants the route a request falls on; no route, no grant.
    pub fn grants(&self, held: &[String], method: &str, path: &str) -> bool {
        self.table
            .find(method, path)
            .is_some_and(|route| self.holds(held, route))
    }

    /// The route an HTTP API route key names, if the document has it.
    pub fn grants_route_key(&self, held: &[String], route_key: &str) -> Option<bool> {
        let route = self.table.by_route_key(route_key)?;
        Some(self.holds(held, route))
    }

    fn holds(&self, held: &[String], route: usize) -> bool {
        scopes::has(held, self.table.route(route).scope.as_str())
    }

    /// The policy for a key holding `held`, called on `arn`: behind a cache, the grant's
    /// policy, rendered the first time this container sees that grant on that stage;
    /// otherwise this request's own.
    pub fn policy(&self, held: &[String], arn: &MethodArn<'_>) -> RenderedPolicy {
        let Some(plan) = &self.plan else {
            let path = format!("/{}", arn.path());
            let effect = if self.grants(held, arn.method(), &path) {
                Effect::Allow
            } else {
                Effect::Deny
            };
            let resource = format!("{}/{}/{}", arn.stage(), arn.method(), arn.path());
            return render(&[Statement {
                effect,
                resources: vec![resource],
            }]);
        };
        let grant = plan.grant(held);
        let key = (arn.stage(), grant);
        let mut rendered = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(policy) = rendered.get(&key) {
            return policy.clone();
        }
        let statements = plan
            .statements(&key.1, &key.0)
            .expect("a document without a conflict has a policy for every grant");
        let policy = render(&statements);
        if rendered.len() >= MAX_RENDERED {
            rendered.clear();
        }
        rendered.insert(key, policy.clone());
        policy
    }

    /// A policy denying the whole stage (a key over its limits).
    pub fn deny_stage(arn: &MethodArn<'_>) -> RenderedPolicy {
        render(&[Statement {
            effect: Effect::Deny,
            resources: vec![arn.whole_stage()],
        }])
    }
}

/// The IAM policy document API Gateway expects, serialised.
fn render(statements: &[Statement]) -> RenderedPolicy {
    let mut document = ApiGatewayCustomAuthorizerPolicy::default();
    document.version = Some("2012-10-17".to_owned());
    document.statement = statements
        .iter()
        .map(|statement| {
            let mut iam = IamPolicyStatement::default();
            iam.action = vec!["execute-api:Invoke".to_owned()];
            iam.effect = match statement.effect {
                Effect::Allow => IamPolicyEffect::Allow,
                Effect::Deny => IamPolicyEffect::Deny,
            };
            iam.resource = statement.resources.clone();
            iam
        })
        .collect();
    let json = serde_json::to_string(&document).expect("a policy serialises");
    Arc::from(RawValue::from_string(json).expect("serde_json wrote JSON"))
}
