//! The routes document: which scope each route of a protected API needs, as YAML or JSON
//! (`schemas/routes.schema.json`). Read once, checked whole, trusted after.

use crate::domain::routes::method::RouteMethod;
use crate::domain::routes::path::ResourcePath;
use crate::domain::scopes::Scope;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// Most routes in one document (API Gateway allows 300 resources per REST API by default,
/// each with several methods).
pub const MAX_ROUTES: usize = 1000;

/// One route of a document, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// The method, or `ANY`.
    pub method: RouteMethod,
    /// The resource path.
    pub path: ResourcePath,
    /// The scope a key needs for it.
    pub scope: Scope,
}

impl fmt::Display for RouteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Why a document was refused; each names the route at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not YAML or JSON of the document's shape (the message names the field).
    #[error("routes document: {0}")]
    Unreadable(String),
    /// No route at all: an authorizer with nothing to allow is a mistake.
    #[error("routes document: no routes")]
    NoRoutes,
    /// More than [`MAX_ROUTES`].
    #[error("routes document: {0} routes, at most {MAX_ROUTES}")]
    TooMany(usize),
    /// One route is wrong.
    #[error("routes document: route {number} ({route}): {problem}")]
    Route {
        /// 1-based position in the document.
        number: usize,
        /// The route as written: `GET /orders/{id}`.
        route: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl DocumentError {
    pub(crate) fn route(
        index: usize,
        route: impl fmt::Display,
        problem: impl Into<String>,
    ) -> Self {
        Self::Route {
            number: index + 1,
            route: route.to_string(),
            problem: problem.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    routes: Vec<RawRoute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    method: String,
    path: String,
    scope: String,
}

/// Reads a document: JSON when it starts with `{`, YAML otherwise.
pub fn parse_document(text: &str) -> Result<Vec<RouteSpec>, DocumentError> {
    let unreadable = |e: &dyn fmt::Display| DocumentError::Unreadable(e.to_string());
    let raw: RawDocument = if text.trim_start().starts_with('{') {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
            .map_err(|e| unreadable(&e))?
    } else {
        serde_path_to_error::deserialize(serde_norway::Deserializer::from_str(text)).map_err(
            |e| {
                let hint = if e.to_string().contains("flow mapping") {
                    " (inside { }, quote a path with parameters: path: '/orders/{id}')"
                } else {
                    ""
                };
                DocumentError::Unreadable(format!("{e}{hint}"))
            },
        )?
    };
    check_routes(raw.routes)
}

fn check_routes(raw: Vec<RawRoute>) -> Result<Vec<RouteSpec>, DocumentError> {
    if raw.is_empty() {
        return Err(DocumentError::NoRoutes);
    }
    if raw.len() > MAX_ROUTES {
        return Err(DocumentError::TooMany(raw.len()));
    }
    let mut routes = Vec::with_capacity(raw.len());
    let mut seen: HashMap<(RouteMethod, String), usize> = HashMap::new();
    for (index, raw) in raw.into_iter().enumerate() {
        let written = format!("{} {}", raw.method, raw.path);
        let method = RouteMethod::parse(&raw.method).ok_or_else(|| {
            DocumentError::route(
                index,
                &written,
                format!(
                    "method {:?}: use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY",
                    raw.method
                ),
            )
        })?;
        let path = ResourcePath::parse(&raw.path)
            .map_err(|e| DocumentError::route(index, &written, e.to_string()))?;
        let scope = Scope::parse(raw.scope.clone()).ok_or_else(|| {
            DocumentError::route(
                index,
                &written,
                format!("scope {:?}: use 1 to 64 of a-z 0-9 : . _ -", raw.scope),
            )
        })?;
        if let Some(first) = seen.insert((method, path.shape()), index) {
            return Err(DocumentError::route(
                index,
                &written,
                format!("the same route as route {}", first + 1),
            ));
        }
        routes.push(RouteSpec {
            method,
            path,
            scope,
        });
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::routes::EXAMPLE_DOCUMENT as EXAMPLE;

    #[test]
    fn reads_yaml_and_json_alike() {
        let yaml = parse_document(EXAMPLE).unwrap();
        assert_eq!(yaml.len(), 5);
        assert_eq!(yaml[2].to_string(), "GET /orders/{id}/refunds");
        assert_eq!(yaml[4].method, RouteMethod::Any);
        let json = parse_document(
            r#"{"routes":[{"method":"GET","path":"/orders","scope":"orders:read"}]}"#,
        )
        .unwrap();
        assert_eq!(json[..], yaml[..1]);
    }

    fn refusal(text: &str) -> String {
        parse_document(text).unwrap_err().to_string()
    }

    #[test]
    fn refusals_name_the_route_and_the_fault() {
        let one = |method: &str, path: &str, scope: &str| {
            format!("routes:\n  - {{method: {method}, path: '{path}', scope: '{scope}'}}\n")
        };
        assert_eq!(
            refusal(&one("FETCH", "/a", "s")),
            r#"routes document: route 1 (FETCH /a): method "FETCH": use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"#
        );
        assert!(refusal(&one("get", "/a", "s")).contains("route 1 (get /a): method"));
        assert!(refusal(&one("GET", "/a/", "s")).contains("no trailing /"));
        assert!(refusal(&one("GET", "/a/*", "s")).contains("literal segments"));
        assert!(refusal(&one("GET", "/a", "Orders Read")).contains(r#"scope "Orders Read""#));
        let twice = format!(
            "{}  - {{method: GET, path: '/a/{{x}}', scope: t}}\n",
            one("GET", "/a/{id}", "s")
        );
        assert_eq!(
            refusal(&twice),
            "routes document: route 2 (GET /a/{x}): the same route as route 1"
        );
        let unknown = "routes:\n  - {method: GET, path: /a, scope: s, scoep: t}\n";
        let message = refusal(unknown);
        assert!(
            message.contains("routes[0]") && message.contains("unknown field `scoep`"),
            "{message}"
        );
        assert!(refusal("routes: []").contains("no routes"));
        assert!(refusal("{not json").starts_with("routes document:"));
        let unquoted = "routes:\n  - {method: GET, path: /a/{id}, scope: s}\n";
        assert!(refusal(unquoted).contains("quote a path with parameters"));
        assert!(refusal("other: 1").contains("unknown field `other`"));
        let many = format!(
            "routes:\n{}",
            "  - {method: GET, path: /a, scope: s}\n".repeat(1001)
        );
        assert!(refusal(&many).contains("1001 routes"));
    }
}
