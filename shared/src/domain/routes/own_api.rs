//! The project's own API: every endpoint, the scope it needs and the function serving it.
//! The handlers' dispatch, the local server and (through a test) `template.yaml` are
//! derived from it; its authorization routes are `routes/keyauth.yaml`, held equal to it
//! by a test, and are what the authorizer enforces when no document is configured.

use crate::domain::routes::document::RouteSpec;
use crate::domain::routes::method::RouteMethod;
use crate::domain::routes::path::ResourcePath;
use crate::domain::routes::table::RouteTable;
use crate::domain::scopes::Scope;
use std::collections::HashMap;

/// Every operation of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // named after their routes in the table below
pub enum Endpoint {
    CreateKey,
    ListKeys,
    GetKey,
    UpdateKey,
    RerollKey,
    RevokeKey,
    ListKeyEvents,
    VerifyKey,
    CreateProduct,
    ReportLeakedKeys,
}

/// The Lambda functions behind the API, by their binary (and `functions/` folder) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // named after their binaries
pub enum Function {
    ManageKeys,
    VerifyKey,
    CreateProduct,
    SecretScanning,
}

impl Function {
    /// Every function behind a route.
    pub const ALL: [Function; 4] = [
        Self::ManageKeys,
        Self::VerifyKey,
        Self::CreateProduct,
        Self::SecretScanning,
    ];

    /// The binary (and `functions/` folder) name.
    pub fn binary(self) -> &'static str {
        match self {
            Self::ManageKeys => "manage-keys",
            Self::VerifyKey => "verify-key",
            Self::CreateProduct => "create-product",
            Self::SecretScanning => "secret-scanning",
        }
    }
}

/// One row of the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The operation.
    pub endpoint: Endpoint,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// API Gateway resource path, `{name}` for a path parameter.
    pub path: &'static str,
    /// The scope a key needs for it.
    pub scope: &'static str,
    /// The function that serves it.
    pub function: Function,
}

use crate::domain::scopes::{KEYS_READ, KEYS_VERIFY, KEYS_WRITE, PRODUCTS_WRITE};

/// The route table.
pub const ROUTES: [Route; 10] = [
    route(
        Endpoint::CreateKey,
        "POST",
        "/keys",
        KEYS_WRITE,
        Function::ManageKeys,
    ),
    route(
        Endpoint::ListKeys,
        "GET",
        "/keys",
        KEYS_READ,
        Function::ManageKeys,
    ),
    route(
        Endpoint::GetKey,
        "GET",
        "/keys/{id}",
        KEYS_READ,
        Function::ManageKeys,
    ),
    route(
        Endpoint::UpdateKey,
        "PATCH",
        "/keys/{id}",
        KEYS_WRITE,
        Function::ManageKeys,
    ),
    route(
        Endpoint::RevokeKey,
        "POST",
        "/keys/{id}/revoke",
        KEYS_WRITE,
        Function::ManageKeys,
    ),
    route(
        Endpoint::RerollKey,
        "POST",
        "/keys/{id}/reroll",
        KEYS_WRITE,
        Function::ManageKeys,
    ),
    route(
        Endpoint::ListKeyEvents,
        "GET",
        "/keys/{id}/events",
        KEYS_READ,
        Function::ManageKeys,
    ),
    route(
        Endpoint::VerifyKey,
        "POST",
        "/keys/verify",
        KEYS_VERIFY,
        Function::VerifyKey,
    ),
    route(
        Endpoint::CreateProduct,
        "POST",
        "/products",
        PRODUCTS_WRITE,
        Function::CreateProduct,
    ),
    // GitHub reports leaked keys here: no x-api-key, a signature instead.
    route(
        Endpoint::ReportLeakedKeys,
        "POST",
        "/secret-scanning/github",
        NO_KEY,
        Function::SecretScanning,
    ),
];

/// The "scope" of a route API Gateway serves without the authorizer: its function checks
/// its caller itself. No key holds it, so no policy ever grants it.
pub const NO_KEY: &str = "";

const fn route(
    endpoint: Endpoint,
    method: &'static str,
    path: &'static str,
    scope: &'static str,
    function: Function,
) -> Route {
    Route {
        endpoint,
        method,
        path,
        scope,
        function,
    }
}

impl Route {
    /// Whether API Gateway runs the authorizer (an `x-api-key` with the route's scope).
    pub fn needs_key(&self) -> bool {
        self.scope != NO_KEY
    }

    /// The route of an endpoint.
    pub fn of(endpoint: Endpoint) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.endpoint == endpoint)
            .expect("every endpoint has a route")
    }

    /// The resource path as an IAM resource pattern: `/keys/{id}/revoke` → `/keys/*/revoke`.
    pub fn arn_pattern(&self) -> String {
        self.path
            .split('/')
            .map(|seg| if is_param(seg) { "*" } else { seg })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The routes of this API that need a key, as the authorizer enforces them.
pub fn own_api_table() -> RouteTable {
    let specs = ROUTES
        .iter()
        .filter(|r| r.needs_key())
        .map(|r| RouteSpec {
            method: RouteMethod::parse(r.method).expect("the table's methods are upper case"),
            path: ResourcePath::parse(r.path).expect("the table's paths are resource paths"),
            scope: Scope::parse(r.scope.to_owned()).expect("the table's scopes are scopes"),
        })
        .collect();
    RouteTable::new(specs).expect("the table's routes are distinct")
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Finds the route for a method and resource template (`/keys/{id}`), as API Gateway
/// hands them to a function.
pub fn by_template(method: &str, template: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == template)
}

/// Matches a concrete path the way a REST API does: first the resource, where a literal
/// segment beats a parameter (`/keys/verify` is not `/keys/{id}`), parameters never match
/// an empty segment, and a trailing slash is another path (`/keys/` is not `/keys`); then
/// the method on that resource. A method the resource lacks matches nothing, as API
/// Gateway answers it like an unknown route (`GET /keys/verify` is not `GET /keys/{id}`).
pub fn match_path(method: &str, path: &str) -> Option<(&'static Route, HashMap<String, String>)> {
    let (resource, params) = match_resource(path)?;
    let route = ROUTES
        .iter()
        .find(|r| r.path == resource && r.method.eq_ignore_ascii_case(method))?;
    Some((route, params))
}

/// The resource (route path) a concrete path falls on, whatever the method, with its
/// parameters.
fn match_resource(path: &str) -> Option<(&'static str, HashMap<String, String>)> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(&'static Route, HashMap<String, String>, usize)> = None;
    for route in ROUTES.iter() {
        let pattern: Vec<&str> = route.path.split('/').collect();
        if pattern.len() != segments.len() {
            continue;
        }
        let mut params = HashMap::new();
        let mut literals = 0;
        let matched = pattern.iter().zip(&segments).all(|(p, s)| {
            if is_param(p) {
                params.insert(p[1..p.len() - 1].to_owned(), (*s).to_owned());
                !s.is_empty()
            } else {
                literals += 1;
                p == s
            }
        });
        if matched && best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
            best = Some((route, params, literals));
        }
    }
    best.map(|(route, params, _)| (route.path, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_the_resource_lacks_matches_nothing() {
        assert!(match_path("GET", "/keys/verify").is_none());
        assert!(match_path("DELETE", "/keys/verify").is_none());
        assert!(match_path("PUT", "/keys/key_abc").is_none());
        assert!(match_path("GET", "/keys/key_abc").is_some());
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let (route, params) = match_path("POST", "/keys/verify").unwrap();
        assert_eq!(route.endpoint, Endpoint::VerifyKey);
        assert!(params.is_empty());
        let (route, params) = match_path("GET", "/keys/key_abc").unwrap();
        assert_eq!(route.endpoint, Endpoint::GetKey);
        assert_eq!(params["id"], "key_abc");
        let (route, params) = match_path("POST", "/keys/key_abc/revoke").unwrap();
        assert_eq!(route.endpoint, Endpoint::RevokeKey);
        assert_eq!(params["id"], "key_abc");
        let (route, params) = match_path("GET", "/keys/key_abc/events").unwrap();
        assert_eq!(route.endpoint, Endpoint::ListKeyEvents);
        assert_eq!(params["id"], "key_abc");
        assert!(match_path("GET", "/keys/key_abc/reroll").is_none());
        assert!(match_path("GET", "/keys/").is_none());
        assert!(match_path("POST", "/products/").is_none());
        assert!(match_path("DELETE", "/keys/key_abc").is_none());
        assert!(match_path("GET", "/keys//revoke").is_none());
        assert!(match_path("GET", "/nothing").is_none());
    }

    #[test]
    fn every_route_is_found_by_its_template() {
        for route in &ROUTES {
            assert_eq!(by_template(route.method, route.path), Some(route));
        }
        assert_eq!(
            Route::of(Endpoint::RevokeKey).arn_pattern(),
            "/keys/*/revoke"
        );
        assert_eq!(Route::of(Endpoint::ListKeys).arn_pattern(), "/keys");
    }
}
