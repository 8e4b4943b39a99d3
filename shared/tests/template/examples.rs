//! The examples' stacks (`examples/*/template*.yaml`) against their routes document and the
//! authorizer they stand for: every document route is an event of the service and back,
//! the document they embed is `routes.yaml`, and their authorizer may do what the
//! authorizer-only stack's may.

use super::{resources, root, tagged, unconditional_statements};
use keyauth::domain::routes::table::RouteTable;
use serde_yaml::Value;
use std::collections::BTreeSet;

const EXAMPLE: &str = "examples/python-orders";

/// One of the example's files.
fn example(file: &str) -> Value {
    super::load(&format!("{EXAMPLE}/{file}"))
}

fn document() -> RouteTable {
    let text = std::fs::read_to_string(root().join(EXAMPLE).join("routes.yaml")).unwrap();
    RouteTable::parse(&text).unwrap()
}

/// (METHOD, path) of each route of the document, `ANY` as written.
fn document_routes() -> BTreeSet<(String, String)> {
    document()
        .routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect()
}

fn event_routes(template: &Value) -> BTreeSet<(String, String)> {
    let events = resources(template)["OrdersFunction"]["Properties"]["Events"]
        .as_mapping()
        .unwrap();
    events
        .values()
        .map(|e| {
            let p = &e["Properties"];
            let method = p["Method"].as_str().unwrap().to_uppercase();
            (method, p["Path"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn each_example_serves_its_document_and_embeds_it() {
    for file in [
        "template.yaml",
        "template-http.yaml",
        "template-nested.yaml",
    ] {
        let template = example(file);
        assert_eq!(event_routes(&template), document_routes(), "{file}");
        let embedded = template["Parameters"]["RoutesDocument"]["Default"]
            .as_str()
            .unwrap();
        let embedded = RouteTable::parse(embedded).unwrap();
        assert_eq!(embedded.routes(), document().routes(), "{file}");
    }
}

/// The examples sam local runs declare the authorizer from the built binary, with the
/// authorizer-only stack's permissions and settings (their document inline, so without its
/// S3 read); the nested form uses that stack.
#[test]
fn the_examples_authorizer_is_the_authorizer_stack() {
    let stack = super::load("templates/authorizer.yaml");
    let own = &resources(&stack)["AuthorizerFunction"]["Properties"];
    for file in ["template.yaml", "template-http.yaml"] {
        let template = example(file);
        let function = &resources(&template)["AuthorizerFunction"]["Properties"];
        assert_eq!(
            function["Policies"][0]["Statement"].as_sequence().unwrap(),
            &unconditional_statements(&own["Policies"][0]),
            "{file}"
        );
        assert_eq!(
            function["CodeUri"],
            "../../.aws-sam/build/AuthorizerFunction"
        );
        let wanted = own["Environment"]["Variables"].as_mapping().unwrap();
        let set = function["Environment"]["Variables"].as_mapping().unwrap();
        for name in ["KEYS_TABLE", "USAGE_TABLE", "KEY_PREFIX", "ROUTES_DOCUMENT"] {
            assert_eq!(set[name], wanted[name], "{file}: {name}");
        }
    }
    let nested = example("template-nested.yaml");
    let application = &resources(&nested)["OrdersAuthorizer"];
    assert_eq!(application["Type"], "AWS::Serverless::Application");
    assert_eq!(
        application["Properties"]["Location"],
        "../../templates/authorizer.yaml"
    );
    let arn = &resources(&nested)["OrdersApi"]["Properties"]["Auth"]["Authorizers"]["KeyAuth"]["FunctionArn"];
    let arn = tagged(arn, "!GetAtt").unwrap().as_str().unwrap();
    assert_eq!(arn, "OrdersAuthorizer.Outputs.AuthorizerFunctionArn");
}
