//! Evaluating an authorizer's policy against a method ARN the way API Gateway does, so
//! the local server answers 403 exactly where the deployed API would.

use crate::domain::policy::{Effect, Statement};
use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerPolicy;
use aws_lambda_events::iam::IamPolicyEffect;
use wildmatch::WildMatch;

/// The method ARN API Gateway sends for a request:
/// `{base}:{api_id}/{stage}/{METHOD}/{path without its leading slash}`.
pub fn method_arn(base: &str, api_id: &str, stage: &str, method: &str, path: &str) -> String {
    format!(
        "{base}:{api_id}/{stage}/{method}/{}",
        path.trim_start_matches('/')
    )
}

/// Reads a returned policy document back into statements on `execute-api:Invoke`.
pub fn statements_of(document: &ApiGatewayCustomAuthorizerPolicy) -> Vec<Statement> {
    document
        .statement
        .iter()
        .filter(|s| {
            s.action
                .iter()
                .any(|a| a == "execute-api:Invoke" || a == "*")
        })
        .map(|s| Statement {
            effect: match s.effect {
                IamPolicyEffect::Allow => Effect::Allow,
                _ => Effect::Deny,
            },
            resources: s.resource.clone(),
        })
        .collect()
}

/// How a policy answers for one method ARN; API Gateway words its 403 by the kind of deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some Allow matches and no Deny.
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

/// Whether the statements allow the method ARN.
pub fn allows(statements: &[Statement], method_arn: &str) -> bool {
    evaluate(statements, method_arn) == Decision::Allow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::MethodArn;
    use crate::domain::policy::plan::PolicyPlan;
    use crate::domain::routes::{ROUTES, Route, own_api_table};

    /// The policy the authorizer gives a key holding `held`, on `arn`'s stage.
    fn for_scopes(held: &[String], arn: &MethodArn<'_>) -> Vec<Statement> {
        let plan = PolicyPlan::new(&own_api_table());
        plan.statements(&plan.grant(held), &arn.stage()).unwrap()
    }

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/keys/key_1";

    fn request_arn(route: &Route) -> String {
        let path = route.path.replace("{id}", "key_7Hq2");
        method_arn(
            "arn:aws:execute-api:eu-west-1:123456789012",
            "a1b2c3",
            "prod",
            route.method,
            &path,
        )
    }

    /// For every set of one scope, the cached policy allows exactly that scope's routes,
    /// whichever route was authorized first (the single-method-ARN cache pitfall).
    #[test]
    fn policy_allows_exactly_the_scoped_routes_on_every_route() {
        for first in &ROUTES {
            let first_arn = request_arn(first);
            let arn = MethodArn::parse(&first_arn).unwrap();
            for scope in crate::domain::scopes::ALL {
                let held = vec![scope.to_owned()];
                let policy = for_scopes(&held, &arn);
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
        let policy = for_scopes(&crate::domain::scopes::ALL.map(String::from), &arn);
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
        let policy = for_scopes(&[], &arn);
        assert_eq!(policy.len(), 1);
        assert_eq!(policy[0].effect, Effect::Deny);
        assert_eq!(evaluate(&policy, ARN), Decision::ExplicitDeny);
        assert!(ROUTES.iter().all(|r| !allows(&policy, &request_arn(r))));
    }

    #[test]
    fn policy_is_bound_to_its_api_and_stage() {
        let arn = MethodArn::parse(ARN).unwrap();
        let policy = for_scopes(&crate::domain::scopes::ALL.map(String::from), &arn);
        let other_stage = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/dev/GET/keys/key_1";
        let other_api = "arn:aws:execute-api:eu-west-1:123456789012:zzzzzz/prod/GET/keys";
        assert!(allows(&policy, ARN));
        assert!(!allows(&policy, other_stage));
        assert!(!allows(&policy, other_api));
        let mut deny_wins = policy.clone();
        deny_wins.push(Statement {
            effect: Effect::Deny,
            resources: vec![arn.whole_stage()],
        });
        assert!(!allows(&deny_wins, ARN));
    }
}
