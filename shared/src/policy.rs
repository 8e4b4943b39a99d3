//! IAM policies for API Gateway REST authorizers.
//!
//! API Gateway caches an authorizer's policy per identity source (the key) and reuses it
//! for *every* route, so a policy naming only the method ARN being authorized would deny
//! the key's other routes from the cache. Instead the policy lists every route the key's
//! scopes allow, as ARNs on the same API and stage with `*` for path parameters.

use crate::routes::{ROUTES, Route};
use crate::scopes;
use wildmatch::WildMatch;

/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn {
    /// Everything up to and including the account: `arn:aws:execute-api:eu-west-1:123456789012`.
    base: String,
    api_id: String,
    stage: String,
    method: String,
    path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an execute-api method ARN")]
pub struct BadMethodArn;

impl MethodArn {
    pub fn parse(arn: &str) -> Result<Self, BadMethodArn> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [arn_lit, partition, service, region, account, resource] = parts[..] else {
            return Err(BadMethodArn);
        };
        if arn_lit != "arn" || service != "execute-api" || partition.is_empty() {
            return Err(BadMethodArn);
        }
        let mut pieces = resource.splitn(4, '/');
        let (Some(api_id), Some(stage), Some(method)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(BadMethodArn);
        };
        if [region, account, api_id, stage, method]
            .iter()
            .any(|p| p.is_empty())
        {
            return Err(BadMethodArn);
        }
        Ok(Self {
            base: format!("arn:{partition}:execute-api:{region}:{account}"),
            api_id: api_id.to_owned(),
            stage: stage.to_owned(),
            method: method.to_owned(),
            path: format!("/{}", pieces.next().unwrap_or("")),
        })
    }

    /// The ARN of a route on this ARN's API and stage.
    pub fn for_route(&self, route: &Route) -> String {
        format!(
            "{}:{}/{}/{}{}",
            self.base,
            self.api_id,
            self.stage,
            route.method,
            route.arn_pattern()
        )
    }

    /// Every method and path of this API and stage.
    pub fn whole_stage(&self) -> String {
        format!("{}:{}/{}/*", self.base, self.api_id, self.stage)
    }

    /// Builds the method ARN API Gateway would send for a request (used by the local server).
    pub fn for_request(base: &str, api_id: &str, stage: &str, method: &str, path: &str) -> String {
        format!(
            "{base}:{api_id}/{stage}/{method}/{}",
            path.trim_start_matches('/')
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of `execute-api:Invoke` on a list of resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub effect: Effect,
    pub resources: Vec<String>,
}

/// Allow exactly the routes the scopes grant; with none, an explicit Deny on the stage so
/// API Gateway answers 403 everywhere.
pub fn for_scopes(held: &[String], arn: &MethodArn) -> Statement {
    let resources: Vec<String> = ROUTES
        .iter()
        .filter(|r| scopes::has(held, r.scope))
        .map(|r| arn.for_route(r))
        .collect();
    if resources.is_empty() {
        Statement {
            effect: Effect::Deny,
            resources: vec![arn.whole_stage()],
        }
    } else {
        Statement {
            effect: Effect::Allow,
            resources,
        }
    }
}

/// How a policy answers for one method ARN; API Gateway words its 403 by the kind of deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows it.
    ImplicitDeny,
    /// A Deny statement matches it.
    ExplicitDeny,
}

/// Evaluates statements against a method ARN as API Gateway does: an explicit Deny wins,
/// otherwise some Allow must match; IAM wildcards `*` and `?` match across `/`.
pub fn evaluate(statements: &[Statement], method_arn: &str) -> Decision {
    let matching = |effect: Effect| {
        statements.iter().any(|s| {
            s.effect == effect
                && s.resources
                    .iter()
                    .any(|r| WildMatch::new(r).matches(method_arn))
        })
    };
    if matching(Effect::Deny) {
        Decision::ExplicitDeny
    } else if matching(Effect::Allow) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

pub fn allows(statements: &[Statement], method_arn: &str) -> bool {
    evaluate(statements, method_arn) == Decision::Allow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::{Endpoint, ROUTES};

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/keys/key_1";

    fn request_arn(route: &Route) -> String {
        let path = route.path.replace("{id}", "key_7Hq2");
        MethodArn::for_request(
            "arn:aws:execute-api:eu-west-1:123456789012",
            "a1b2c3",
            "prod",
            route.method,
            &path,
        )
    }

    #[test]
    fn parses_method_arns() {
        let arn = MethodArn::parse(ARN).unwrap();
        assert_eq!(arn.method, "GET");
        assert_eq!(arn.path, "/keys/key_1");
        assert_eq!(
            arn.for_route(Route::of(Endpoint::RevokeKey)),
            "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/POST/keys/*/revoke"
        );
        let china = "arn:aws-cn:execute-api:cn-north-1:1:api/dev/POST/products";
        assert!(
            MethodArn::parse(china)
                .unwrap()
                .whole_stage()
                .starts_with("arn:aws-cn:")
        );
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1:1:function/x",
            "arn:aws:execute-api:eu-west-1:1:api",
            "arn:aws:execute-api:eu-west-1:1:api/prod",
            "arn:aws:execute-api::1:api/prod/GET/x",
            "not an arn",
        ] {
            assert!(MethodArn::parse(bad).is_err(), "{bad}");
        }
    }

    /// For every set of one scope, the cached policy allows exactly that scope's routes,
    /// whichever route was authorized first (the single-method-ARN cache pitfall).
    #[test]
    fn policy_allows_exactly_the_scoped_routes_on_every_route() {
        for first in &ROUTES {
            let arn = MethodArn::parse(&request_arn(first)).unwrap();
            for scope in crate::scopes::ALL {
                let held = vec![scope.to_owned()];
                let policy = [for_scopes(&held, &arn)];
                for route in &ROUTES {
                    assert_eq!(
                        allows(&policy, &request_arn(route)),
                        route.scope == scope,
                        "scope {scope} on {} {} after {} {}",
                        route.method,
                        route.path,
                        first.method,
                        first.path
                    );
                }
            }
        }
    }

    /// Methods and paths outside the table stay refused even for a key with every scope.
    /// IAM's `*` does match `/`, so a parameter's pattern covers paths nested under it
    /// (`GET /keys/{id}/x`): routes added there must be checked by their handler too.
    #[test]
    fn unknown_methods_and_paths_are_not_allowed() {
        let arn = MethodArn::parse(ARN).unwrap();
        let policy = [for_scopes(&crate::scopes::ALL.map(String::from), &arn)];
        let base = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod";
        for outside in [
            "DELETE/keys/key_1",
            "PUT/keys",
            "GET/products",
            "POST/products/x",
            "POST/keys/key_1",
            "GET/keys/key_1/revoke/x/y/z/../verify",
            "POST/keys/verify/x",
            "GET/admin",
        ] {
            let allowed = allows(&policy, &format!("{base}/{outside}"));
            let nested_under_parameter = outside.starts_with("GET/keys/");
            assert_eq!(allowed, nested_under_parameter, "{outside}");
        }
    }

    #[test]
    fn no_scopes_means_an_explicit_deny() {
        let arn = MethodArn::parse(ARN).unwrap();
        let statement = for_scopes(&[], &arn);
        assert_eq!(statement.effect, Effect::Deny);
        assert_eq!(
            evaluate(std::slice::from_ref(&statement), ARN),
            Decision::ExplicitDeny
        );
        assert!(
            ROUTES
                .iter()
                .all(|r| !allows(std::slice::from_ref(&statement), &request_arn(r)))
        );
    }

    #[test]
    fn policy_is_bound_to_its_api_and_stage() {
        let arn = MethodArn::parse(ARN).unwrap();
        let policy = [for_scopes(&crate::scopes::ALL.map(String::from), &arn)];
        let other_stage = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/dev/GET/keys/key_1";
        let other_api = "arn:aws:execute-api:eu-west-1:123456789012:zzzzzz/prod/GET/keys";
        assert!(allows(&policy, ARN));
        assert!(!allows(&policy, other_stage));
        assert!(!allows(&policy, other_api));
        let deny_wins = [
            policy[0].clone(),
            Statement {
                effect: Effect::Deny,
                resources: vec![arn.whole_stage()],
            },
        ];
        assert!(!allows(&deny_wins, ARN));
    }
}
