//! The REST policy a set of scopes gets, exact for its routes document.
//!
//! API Gateway caches one policy per key and applies it to every route, so the policy must
//! allow exactly the requests the document gives the key. Allowing each granted route's
//! pattern is not enough: `GET/orders/*` also matches `GET/orders/1/refunds`. So every
//! route a granted pattern reaches but the key lacks is denied explicitly by its own
//! pattern (an explicit Deny wins). That is exact unless such a Deny in turn reaches a
//! granted route; documents where some key could meet that are found when loaded
//! ([`PolicyPlan::conflict`]) and need the per-request answer, without a cache.

use crate::domain::policy::overlap::Shapes;
use crate::domain::policy::{Effect, Statement};
use crate::domain::routes::table::RouteTable;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// The document's scopes a key holds, as sorted indices: keys with the same grant get the
/// same policy, whatever else they hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant(Vec<u16>);

/// Three routes no cached policy can separate for some key: `under` lies beneath a pattern
/// of `wider`, and its own pattern reaches `deeper`; a key granted `wider` and `deeper` but
/// not `under` can only be answered per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The route whose Deny would also hit `deeper`.
    pub under: String,
    /// A route of another scope whose pattern reaches `under`.
    pub wider: String,
    /// A route of another scope that `under`'s pattern reaches.
    pub deeper: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed = if self.wider == self.deeper {
            self.wider.clone()
        } else {
            format!("{} and {}", self.wider, self.deeper)
        };
        write!(
            f,
            "a key allowed {allowed} but not {} needs {} denied, and that Deny also hits {}",
            self.under, self.under, self.deeper
        )
    }
}

/// What the policies of one routes document are built from, computed once when loaded.
#[derive(Debug, Clone)]
pub struct PolicyPlan {
    scope_index: HashMap<String, u16>,
    route_scope: Vec<u16>,
    /// `reaches[a]`: the routes with a request `a`'s pattern also matches.
    reaches: Vec<Vec<u32>>,
    /// Each route's resources below the stage: `GET/orders/*`, one per method it answers.
    resources: Vec<Vec<String>>,
    conflict: Option<Conflict>,
}

impl PolicyPlan {
    /// Analyses a table: where its patterns reach, and whether any key meets a conflict.
    pub fn new(table: &RouteTable) -> Self {
        let mut scope_index = HashMap::new();
        let route_scope: Vec<u16> = table
            .routes()
            .iter()
            .map(|r| {
                let next = scope_index.len() as u16;
                *scope_index
                    .entry(r.scope.as_str().to_owned())
                    .or_insert(next)
            })
            .collect();
        let shapes = Shapes::of(table);
        let reaches = shapes.reaches(table);
        let resources = (0..table.routes().len())
            .map(|i| {
                let pattern = table.route(i).path.arn_pattern();
                shapes
                    .methods(i)
                    .map(|m| format!("{}{pattern}", m.as_str()))
                    .collect()
            })
            .collect();
        let conflict = find_conflict(&route_scope, &reaches).map(|(under, wider, deeper)| {
            let name = |i: usize| format!("{} ({})", table.route(i), table.route(i).scope.as_str());
            Conflict {
                under: name(under),
                wider: name(wider),
                deeper: name(deeper),
            }
        });
        Self {
            scope_index,
            route_scope,
            reaches,
            resources,
            conflict,
        }
    }

    /// The document's scopes among `held`.
    pub fn grant(&self, held: &[String]) -> Grant {
        let mut indices: Vec<u16> = held
            .iter()
            .filter_map(|s| self.scope_index.get(s.as_str()).copied())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        Grant(indices)
    }

    /// Whether the grant allows route `index`.
    pub fn allows(&self, grant: &Grant, index: usize) -> bool {
        grant.0.binary_search(&self.route_scope[index]).is_ok()
    }

    /// Routes no cached policy separates for some key, if the document has any.
    pub fn conflict(&self) -> Option<&Conflict> {
        self.conflict.as_ref()
    }

    /// The statements for a grant on one stage (`arn:…:api-id/stage`): Allow every granted
    /// route, Deny every other route a granted pattern reaches; with nothing granted, Deny
    /// the whole stage. `None` when this grant meets the document's conflict.
    pub fn statements(&self, grant: &Grant, stage: &str) -> Option<Vec<Statement>> {
        let granted: Vec<usize> = (0..self.route_scope.len())
            .filter(|&i| self.allows(grant, i))
            .collect();
        if granted.is_empty() {
            return Some(vec![Statement {
                effect: Effect::Deny,
                resources: vec![format!("{stage}/*")],
            }]);
        }
        let denied: BTreeSet<usize> = granted
            .iter()
            .flat_map(|&g| self.reaches[g].iter().map(|&r| r as usize))
            .filter(|&r| !self.allows(grant, r))
            .collect();
        let hits_granted = denied.iter().any(|&d| {
            self.reaches[d]
                .iter()
                .any(|&r| self.allows(grant, r as usize))
        });
        if hits_granted {
            return None;
        }
        let mut statements = vec![self.statement(Effect::Allow, granted, stage)];
        if !denied.is_empty() {
            statements.push(self.statement(Effect::Deny, denied, stage));
        }
        Some(statements)
    }

    fn statement(
        &self,
        effect: Effect,
        routes: impl IntoIterator<Item = usize>,
        stage: &str,
    ) -> Statement {
        let mut seen = BTreeSet::new();
        let resources = routes
            .into_iter()
            .flat_map(|r| self.resources[r].iter())
            .filter(|resource| seen.insert(resource.as_str()))
            .map(|resource| format!("{stage}/{resource}"))
            .collect();
        Statement { effect, resources }
    }
}

/// A route `under` that some route `wider` of another scope reaches and that itself
/// reaches a route `deeper` of another scope than its own.
fn find_conflict(route_scope: &[u16], reaches: &[Vec<u32>]) -> Option<(usize, usize, usize)> {
    let mut reached_by: Vec<Vec<usize>> = vec![Vec::new(); reaches.len()];
    for (a, targets) in reaches.iter().enumerate() {
        for &b in targets {
            reached_by[b as usize].push(a);
        }
    }
    (0..reaches.len()).find_map(|under| {
        let other = |r: usize| route_scope[r] != route_scope[under];
        let wider = reached_by[under].iter().copied().find(|&a| other(a))?;
        let deeper = reaches[under]
            .iter()
            .map(|&r| r as usize)
            .find(|&r| other(r))?;
        Some((under, wider, deeper))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGE: &str = "arn:aws:execute-api:eu-west-1:1:api/prod";
    use crate::domain::routes::EXAMPLE_DOCUMENT as EXAMPLE;

    fn plan(text: &str) -> PolicyPlan {
        PolicyPlan::new(&RouteTable::parse(text).unwrap())
    }

    fn held(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| s.to_string()).collect()
    }

    fn short(statements: &[Statement]) -> Vec<(Effect, Vec<String>)> {
        statements
            .iter()
            .map(|s| {
                let resources = s.resources.iter().map(|r| r[STAGE.len()..].to_owned());
                (s.effect.clone(), resources.collect())
            })
            .collect()
    }

    #[test]
    fn a_reader_is_denied_the_refunds_its_pattern_reaches() {
        let plan = plan(EXAMPLE);
        assert!(plan.conflict().is_none());
        let grant = plan.grant(&held(&["orders:read", "other:scope"]));
        assert_eq!(grant, plan.grant(&held(&["orders:read"])));
        let statements = plan.statements(&grant, STAGE).unwrap();
        assert_eq!(
            short(&statements),
            vec![
                (
                    Effect::Allow,
                    vec!["/GET/orders".into(), "/GET/orders/*".into()]
                ),
                (Effect::Deny, vec!["/GET/orders/*/refunds".into()]),
            ]
        );
    }

    #[test]
    fn any_is_every_method_by_name_and_nothing_granted_denies_the_stage() {
        let plan = plan(EXAMPLE);
        let admin = plan.statements(&plan.grant(&held(&["orders:admin"])), STAGE);
        let (effect, resources) = short(&admin.unwrap()).remove(0);
        assert_eq!(effect, Effect::Allow);
        assert_eq!(resources[0], "/GET/orders/*/refunds");
        assert_eq!(resources[1..].len(), 7);
        assert!(
            resources[1..]
                .iter()
                .all(|r| r.ends_with("/admin/*") && !r.starts_with("/*"))
        );
        let none = plan
            .statements(&plan.grant(&held(&["keys:read"])), STAGE)
            .unwrap();
        assert_eq!(short(&none), vec![(Effect::Deny, vec!["/*".into()])]);
    }

    #[test]
    fn a_method_route_leaves_any_the_other_methods() {
        let plan = plan(
            "routes:
  - {method: ANY, path: /x, scope: a}
  - {method: GET, path: /x, scope: b}
",
        );
        assert!(plan.conflict().is_none());
        let any = short(&plan.statements(&plan.grant(&held(&["a"])), STAGE).unwrap());
        assert_eq!(
            any.len(),
            1,
            "GET /x is not ANY's, so nothing to deny: {any:?}"
        );
        assert_eq!(any[0].1.len(), 6);
        assert!(!any[0].1.contains(&"/GET/x".to_owned()));
    }

    #[test]
    fn a_deny_that_would_hit_a_granted_route_is_a_conflict() {
        let plan = plan(
            "routes:
  - {method: ANY, path: '/{proxy+}',         scope: app}
  - {method: GET, path: '/orders/{id}',      scope: orders}
  - {method: GET, path: '/orders/{id}/refunds', scope: app}
",
        );
        let conflict = plan.conflict().expect("a conflict");
        assert_eq!(conflict.under, "ANY /{proxy+} (app)");
        assert_eq!(conflict.wider, "GET /orders/{id} (orders)");
        assert_eq!(conflict.deeper, "GET /orders/{id} (orders)");
        assert!(
            plan.statements(&plan.grant(&held(&["app"])), STAGE)
                .is_none()
        );
        // `GET/orders/*` reaches the proxy's deeper paths, which only `GET/*` denies.
        assert!(
            plan.statements(&plan.grant(&held(&["orders"])), STAGE)
                .is_none()
        );
        // A key granted everything has nothing to deny.
        assert!(
            plan.statements(&plan.grant(&held(&["app", "orders"])), STAGE)
                .is_some()
        );
    }
}
