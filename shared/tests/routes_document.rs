//! The routes document format: the project's own API written in it equals the compiled
//! table, and the JSON Schema in the repository takes and refuses what the loader does.

use keyauth::domain::routes::own_api_table;
use keyauth::domain::routes::table::RouteTable;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn repo_file(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    std::fs::read_to_string(format!("{root}/{path}")).unwrap()
}

fn rows(table: &RouteTable) -> BTreeSet<(String, String, String)> {
    table
        .routes()
        .iter()
        .map(|r| {
            let row = (r.method.to_string(), r.path.to_string());
            (row.0, row.1, r.scope.as_str().to_owned())
        })
        .collect()
}

#[test]
fn the_own_api_document_is_the_compiled_table() {
    let document = RouteTable::parse(&repo_file("routes/keyauth.yaml")).unwrap();
    assert_eq!(rows(&document), rows(&own_api_table()));
}

fn schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&repo_file("routes/routes.schema.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn the_schema_takes_the_documents_in_the_repository() {
    let schema = schema();
    let own: Value = serde_yaml::from_str(&repo_file("routes/keyauth.yaml")).unwrap();
    assert!(schema.is_valid(&own));
}

/// Each route alone: the schema and the loader agree on it (the loader's extra rules,
/// duplicates and paths API Gateway cannot tell apart, need two routes).
#[test]
fn the_schema_and_the_loader_agree_route_by_route() {
    let schema = schema();
    let good = [
        ("GET", "/"),
        ("ANY", "/{proxy+}"),
        ("POST", "/orders/{id}/refunds"),
        ("DELETE", "/a.b/c_d/e-f/g~h/{x_1}"),
        ("OPTIONS", "/admin/{rest+}"),
    ];
    let bad_paths = [
        "", "orders", "/orders/", "//", "/a//b", "/a/*", "/a/{id", "/a/{}", "/a/{b-c}", "/{p+}/x",
        "/a b", "/a?b", "/ü",
    ];
    let bad_methods = ["get", "TRACE", "CONNECT", "any", ""];
    let cases = good
        .iter()
        .map(|(m, p)| (json!({"method": m, "path": p, "scope": "s"}), true))
        .chain(
            bad_paths
                .iter()
                .map(|p| (json!({"method": "GET", "path": p, "scope": "s"}), false)),
        )
        .chain(
            bad_methods
                .iter()
                .map(|m| (json!({"method": m, "path": "/a", "scope": "s"}), false)),
        )
        .chain([
            (
                json!({"method": "GET", "path": "/a", "scope": "Orders"}),
                false,
            ),
            (json!({"method": "GET", "path": "/a", "scope": ""}), false),
            (
                json!({"method": "GET", "path": "/a", "scope": "s", "x": 1}),
                false,
            ),
            (json!({"method": "GET", "path": "/a"}), false),
        ]);
    for (route, expected) in cases {
        let document = json!({"routes": [route]});
        let loaded = RouteTable::parse(&document.to_string()).is_ok();
        assert_eq!(loaded, expected, "loader on {document}");
        assert_eq!(schema.is_valid(&document), expected, "schema on {document}");
    }
    assert!(!schema.is_valid(&json!({"routes": []})));
    assert!(!schema.is_valid(&json!({"routes": [], "extra": 1})));
}
