//! `openapi.yaml` against the route table: the same routes, each operation naming its
//! scope, and the answers every route can give declared on every operation.

use keyauth::routes::ROUTES;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn document() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_document_describes_exactly_the_route_table() {
    let doc = document();
    let methods = ["get", "post", "patch", "put", "delete"];
    let mut described = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for method in methods {
            if item.get(method).is_some() {
                described.insert((method.to_uppercase(), path.as_str().unwrap().to_owned()));
            }
        }
    }
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(described, routes);
}

#[test]
fn every_operation_names_its_scope_and_the_common_answers() {
    let doc = document();
    for route in ROUTES {
        let operation = &doc["paths"][route.path][route.method.to_lowercase().as_str()];
        let summary = operation["summary"].as_str().unwrap();
        assert!(
            summary.contains(&format!("scope {}", route.scope)),
            "{} {}: {summary}",
            route.method,
            route.path
        );
        let responses = operation["responses"].as_mapping().unwrap();
        for status in ["401", "403", "500", "503"] {
            assert!(
                responses.contains_key(status),
                "{} {} does not declare {status}",
                route.method,
                route.path
            );
        }
        if route.path.contains("{id}") {
            assert!(
                responses.contains_key("404"),
                "{} {}",
                route.method,
                route.path
            );
        }
    }
}
