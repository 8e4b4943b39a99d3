//! A checked routes document compiled for matching: a `matchit` radix tree over the
//! resource paths, each holding the route of every method, so a lookup costs the same with
//! 10 routes or 300.

use crate::domain::routes::document::{DocumentError, RouteSpec, parse_document};
use crate::domain::routes::method::RouteMethod;
use std::collections::{BTreeMap, HashMap};

/// The routes of one resource path, by method slot (`ANY` last).
#[derive(Debug, Clone, Default)]
struct MethodSlots([Option<u32>; 8]);

/// The routes an authorizer enforces, ready to match requests.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<RouteSpec>,
    router: matchit::Router<MethodSlots>,
    /// HTTP API route keys (`GET /orders/{id}`) as the document writes them.
    by_key: HashMap<String, u32>,
}

impl RouteTable {
    /// Reads and checks a document (YAML or JSON) and compiles it.
    pub fn parse(text: &str) -> Result<Self, DocumentError> {
        Self::new(parse_document(text)?)
    }

    /// Compiles checked routes; paths API Gateway could not tell apart are refused
    /// (`/a/{id}` beside `/a/{name}` or `/a/{proxy+}`).
    pub fn new(routes: Vec<RouteSpec>) -> Result<Self, DocumentError> {
        // One tree entry per path, in document order; the first route of each names it.
        let mut paths: BTreeMap<String, (usize, MethodSlots)> = BTreeMap::new();
        let mut order = Vec::new();
        for (index, route) in routes.iter().enumerate() {
            let pattern = route.path.router_pattern();
            let entry = paths.entry(pattern.clone()).or_insert_with(|| {
                order.push(pattern);
                (index, MethodSlots::default())
            });
            entry.1.0[route.method.slot()] = Some(index as u32);
        }
        let mut router = matchit::Router::new();
        for pattern in order {
            let (index, slots) = paths.remove(&pattern).expect("collected above");
            router.insert(pattern.as_str(), slots).map_err(|e| {
                let problem = match e {
                    matchit::InsertError::Conflict { with } => {
                        let other = routes
                            .iter()
                            .position(|r| r.path.router_pattern() == with)
                            .map(|i| format!("route {} ({})", i + 1, routes[i]))
                            .unwrap_or(with);
                        format!("API Gateway cannot tell its path from {other}'s")
                    }
                    other => other.to_string(),
                };
                DocumentError::route(index, &routes[index], problem)
            })?;
        }
        let by_key = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.to_string(), i as u32))
            .collect();
        Ok(Self {
            routes,
            router,
            by_key,
        })
    }

    /// Every route, in document order.
    pub fn routes(&self) -> &[RouteSpec] {
        &self.routes
    }

    /// The route a request falls on, as API Gateway routes it: the most specific path
    /// (a literal segment before a parameter, a parameter before a greedy tail), then the
    /// method's own route before the path's `ANY`.
    pub fn find(&self, method: &str, path: &str) -> Option<usize> {
        let slots = &self.router.at(path).ok()?.value.0;
        let own = RouteMethod::parse(method)
            .filter(|m| *m != RouteMethod::Any)
            .and_then(|m| slots[m.slot()]);
        own.or(slots[RouteMethod::Any.slot()]).map(|i| i as usize)
    }

    /// The route of an HTTP API route key (`GET /orders/{id}`, `ANY /admin/{proxy+}`): as
    /// written, or else the path's `ANY` route (a key naming the request's method on a path
    /// the document gives `ANY`, as `sam local` sends it).
    pub fn by_route_key(&self, route_key: &str) -> Option<usize> {
        if let Some(route) = self.by_key.get(route_key) {
            return Some(*route as usize);
        }
        let (method, path) = route_key.split_once(' ')?;
        let concrete = RouteMethod::parse(method).is_some_and(|m| m != RouteMethod::Any);
        concrete
            .then(|| self.by_key.get(&format!("ANY {path}")))
            .flatten()
            .map(|i| *i as usize)
    }

    /// The route at `index`.
    pub fn route(&self, index: usize) -> &RouteSpec {
        &self.routes[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> RouteTable {
        RouteTable::parse(text).unwrap()
    }

    /// The example, with a literal sibling of a parameter and a method beside `ANY`.
    fn example() -> String {
        format!(
            "{}{}",
            crate::domain::routes::EXAMPLE_DOCUMENT,
            "  - {method: GET,  path: /orders/summary,   scope: reports:read}
  - {method: DELETE, path: '/admin/{proxy+}', scope: root}
"
        )
    }

    #[test]
    fn matches_as_api_gateway_routes() {
        let t = table(&example());
        let found = |method, path| t.find(method, path).map(|i| t.route(i).to_string());
        assert_eq!(found("GET", "/orders").as_deref(), Some("GET /orders"));
        assert_eq!(found("POST", "/orders").as_deref(), Some("POST /orders"));
        assert_eq!(found("PUT", "/orders"), None);
        assert_eq!(
            found("GET", "/orders/7").as_deref(),
            Some("GET /orders/{id}")
        );
        assert_eq!(
            found("GET", "/orders/summary").as_deref(),
            Some("GET /orders/summary")
        );
        assert_eq!(
            found("GET", "/orders/7/refunds").as_deref(),
            Some("GET /orders/{id}/refunds")
        );
        assert_eq!(found("GET", "/orders/7/other"), None);
        assert_eq!(found("GET", "/orders/"), None, "a parameter is never empty");
        assert_eq!(found("GET", "/orders//refunds"), None);
        assert_eq!(found("GET", "/Orders"), None, "paths are case-sensitive");
        assert_eq!(
            found("PATCH", "/admin/a/b/c").as_deref(),
            Some("ANY /admin/{proxy+}")
        );
        assert_eq!(
            found("DELETE", "/admin/a").as_deref(),
            Some("DELETE /admin/{proxy+}")
        );
        assert_eq!(
            found("GET", "/admin"),
            None,
            "a greedy tail takes one segment at least"
        );
        assert_eq!(found("GET", "/admin/"), None);
    }

    #[test]
    fn route_keys_are_found_as_written() {
        let t = table(&example());
        assert_eq!(t.by_route_key("GET /orders/{id}"), Some(1));
        assert_eq!(t.by_route_key("ANY /admin/{proxy+}"), Some(4));
        assert_eq!(t.by_route_key("GET /orders/{x}"), None);
        // A method's own route first, then the path's ANY.
        assert_eq!(t.by_route_key("PUT /admin/{proxy+}"), Some(4));
        assert_eq!(t.by_route_key("DELETE /admin/{proxy+}"), Some(6));
        assert_eq!(t.by_route_key("TRACE /admin/{proxy+}"), None);
        assert_eq!(t.by_route_key("$default"), None);
    }

    #[test]
    fn paths_api_gateway_cannot_tell_apart_are_refused() {
        let conflict = |text: &str| RouteTable::parse(text).unwrap_err().to_string();
        assert_eq!(
            conflict(
                "routes:\n  - {method: GET, path: '/a/{id}', scope: s}\n  - {method: POST, path: '/a/{name}', scope: s}\n"
            ),
            "routes document: route 2 (POST /a/{name}): API Gateway cannot tell its path from route 1 (GET /a/{id})'s"
        );
        assert!(
            conflict(
                "routes:\n  - {method: GET, path: '/a/{id}', scope: s}\n  - {method: GET, path: '/a/{rest+}', scope: s}\n"
            )
            .contains("route 2 (GET /a/{rest+})")
        );
    }
}
