//! The copy-paste snippets of `docs/protect-your-api.md` are the ones the tests and linters
//! check: each YAML block equals the file it comes from, or takes exactly the parameters of
//! the stack it deploys.

use super::{load, resources, root};
use keyauth::domain::routes::table::RouteTable;
use serde_yaml::Value;

/// The page's fenced `yaml` and `sh` blocks, each de-indented by its fence's indentation.
fn blocks(language: &str) -> Vec<String> {
    let page = std::fs::read_to_string(root().join("docs/protect-your-api.md")).unwrap();
    let mut found = Vec::new();
    let mut open: Option<(usize, Vec<String>)> = None;
    for line in page.lines() {
        let indent = line.len() - line.trim_start().len();
        match &mut open {
            None if line.trim_start() == format!("```{language}") => open = Some((indent, vec![])),
            Some((fence, lines)) if line.trim_start() == "```" && indent == *fence => {
                found.push(lines.join("\n"));
                open = None;
            }
            Some((fence, lines)) => lines.push(line.get(*fence..).unwrap_or("").to_owned()),
            None => {}
        }
    }
    found
}

#[test]
fn every_yaml_block_is_held_by_a_file_or_a_stack() {
    let rest = load("templates/snippets/rest-api-authorizer.yaml");
    let http = load("templates/snippets/http-api-authorizer.yaml");
    let stacks = [
        ("OrdersAuthorizer", load("templates/authorizer.yaml")),
        ("OrdersCacheFlush", load("templates/cache-flush.yaml")),
    ];
    let example =
        std::fs::read_to_string(root().join("examples/python-orders/routes.yaml")).unwrap();
    let blocks = blocks("yaml");
    assert!(blocks.len() >= 5, "{blocks:#?}");
    for block in blocks {
        let value: Value = serde_yaml::from_str(&block).unwrap_or_else(|e| panic!("{e}: {block}"));
        let map = value.as_mapping().unwrap();
        if map.contains_key("routes") {
            let table = RouteTable::parse(&block).unwrap();
            let file = RouteTable::parse(&example).unwrap();
            assert_eq!(table.routes(), file.routes(), "the example document");
        } else if map.contains_key("RequestParameters") {
            let file = &resources(&http)["OrdersIntegration"]["Properties"]["RequestParameters"];
            assert_eq!(&value["RequestParameters"], file);
        } else if let Some((nested, stack)) = stacks
            .iter()
            .find_map(|(name, stack)| Some((map.get(*name)?, stack)))
        {
            assert_eq!(nested["Type"], "AWS::Serverless::Application");
            let given = nested["Properties"]["Parameters"].as_mapping().unwrap();
            let declared = stack["Parameters"].as_mapping().unwrap();
            for (name, _) in given {
                assert!(declared.contains_key(name), "{name:?} is not a parameter");
            }
            for (name, spec) in declared {
                let required = spec.get("Default").is_none();
                assert!(
                    !required || given.contains_key(name),
                    "{name:?} is required"
                );
            }
            if let Some(document) = given.get("RoutesDocument") {
                RouteTable::parse(document.as_str().unwrap()).unwrap();
            }
        } else {
            for (name, resource) in map {
                let file = [&rest, &http]
                    .into_iter()
                    .find_map(|t| resources(t).get(name))
                    .unwrap_or_else(|| panic!("{name:?} is in no snippet file"));
                assert_eq!(resource, file, "{name:?}");
            }
        }
    }
}

#[test]
fn the_local_proxy_command_names_a_document_that_loads() {
    let command = blocks("sh")
        .into_iter()
        .find(|b| b.contains("--routes"))
        .expect("the local proxy command");
    let file = command
        .split_whitespace()
        .skip_while(|w| *w != "--routes")
        .nth(1)
        .unwrap();
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    RouteTable::parse(&text).unwrap();
    assert!(command.contains("cargo run -p local-api -- ") && command.contains("--upstream "));
}
