//! `openapi.yaml` against the route table: the same routes, each operation naming its
//! scope, and the answers every route can give declared on every operation.

use keyauth::domain::routes::ROUTES;
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
        // A route behind the authorizer names its scope; one without it says so, and
        // declares that it needs no x-api-key.
        let (says, common) = if route.needs_key() {
            (
                format!("scope {}", route.scope),
                &["401", "403", "500", "503"][..],
            )
        } else {
            assert_eq!(operation["security"], serde_yaml::Value::Sequence(vec![]));
            ("no x-api-key".to_owned(), &["401", "500", "503"][..])
        };
        assert!(
            summary.contains(&says),
            "{} {}: {summary}",
            route.method,
            route.path
        );
        let responses = operation["responses"].as_mapping().unwrap();
        for status in common {
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

fn pattern(schema: &Value) -> regex::Regex {
    regex::Regex::new(schema["pattern"].as_str().expect("a pattern")).unwrap()
}

/// Every character, alone and inside text, is accepted by the document's pattern exactly
/// when the server accepts it: a fuzzer that trusts the document finds no gap either way.
#[test]
fn text_patterns_say_exactly_which_characters_the_server_refuses() {
    use keyauth::domain::text::{optional_text, required_text, unfit_for_identifier};
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let free_text = pattern(&schemas["Description"]);
    let not_blank = pattern(&schemas["KeyName"]);
    let subject = pattern(&schemas["Subject"]);
    for c in (0..=0x10_FFFF_u32).filter_map(char::from_u32) {
        let inside = format!("a{c}b");
        let alone = c.to_string();
        for text in [&inside, &alone] {
            assert_eq!(
                free_text.is_match(text),
                optional_text("description", Some(text.clone()), 500).is_ok(),
                "free text {text:?}"
            );
            assert_eq!(
                not_blank.is_match(text),
                required_text("name", text, 100).is_ok(),
                "name {text:?}"
            );
        }
        // Astral format characters (tags, …) are refused too, as the description says;
        // the pattern stays within the Basic Multilingual Plane that ECMA-262 classes name.
        if (c as u32) <= 0xFFFF {
            assert_eq!(
                subject.is_match(&inside),
                !unfit_for_identifier(c),
                "subject {c:?}"
            );
        }
    }
}
