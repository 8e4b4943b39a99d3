//! What other stacks use: the main template's exports, the authorizer-only stack
//! (`templates/authorizer.yaml`) and the plain CloudFormation snippets, against the code.

use super::{load, resources, tagged, template, unconditional_statements};
use keyauth::edge::config::Config;
use keyauth::edge::context::{context_keys, identity_headers};
use serde_yaml::Value;
use std::cell::RefCell;
use std::collections::BTreeSet;

/// A policy's unconditional statements without their `Resource`, which names the table
/// differently in each stack.
fn without_resources(policy: &Value) -> Vec<Value> {
    let mut statements = unconditional_statements(policy);
    for statement in &mut statements {
        statement.as_mapping_mut().unwrap().remove("Resource");
    }
    statements
}

#[test]
fn the_main_stack_exports_what_another_stack_needs() {
    let t = template();
    let outputs = t["Outputs"].as_mapping().unwrap();
    for name in [
        "KeysTableName",
        "KeysTableArn",
        "UsageTableName",
        "UsageTableArn",
        "KeyPrefix",
        "AuthorizerFunctionArn",
    ] {
        let export = tagged(&outputs[name]["Export"]["Name"], "!Sub")
            .unwrap_or_else(|| panic!("{name} has no export"));
        assert_eq!(
            export.as_str().unwrap(),
            format!("${{AWS::StackName}}-{name}")
        );
    }
}

/// The authorizer-only stack may do what the main stack's authorizer may, and read its
/// routes document's S3 object when it names one, no more; and gives it every setting it
/// reads: the tables, the prefix, the routes document or its object, the cache TTL the
/// limits rule depends on, and the log level.
#[test]
fn the_authorizer_stack_is_the_authorizer_with_a_document() {
    let stack = load("templates/authorizer.yaml");
    let main = template();
    let function = &resources(&stack)["AuthorizerFunction"];
    let own = &resources(&main)["AuthorizerFunction"];
    assert_eq!(
        without_resources(&function["Properties"]["Policies"][0]),
        without_resources(&own["Properties"]["Policies"][0])
    );
    let conditional: Vec<&Value> = function["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|statement| tagged(statement, "!If"))
        .collect();
    assert_eq!(conditional.len(), 1, "only the S3 read is conditional");
    let [condition, statement, otherwise] = conditional[0].as_sequence().unwrap().as_slice() else {
        panic!("!If takes three values: {:?}", conditional[0])
    };
    assert_eq!(condition, "RoutesInS3");
    assert!(tagged(&stack["Conditions"]["RoutesInS3"], "!Not").is_some());
    assert_eq!(tagged(otherwise, "!Ref").unwrap(), "AWS::NoValue");
    let actions: Vec<&str> = statement["Action"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(actions, ["s3:GetObject", "s3:GetObjectVersion"]);
    assert_eq!(
        tagged(&statement["Resource"], "!Sub").unwrap(),
        "arn:${AWS::Partition}:s3:::${RoutesDocumentBucket}/${RoutesDocumentKey}",
        "the one object, not the bucket"
    );
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"],
        "authorizer"
    );
    assert_eq!(
        function["Properties"]["CodeUri"], "../",
        "built from the workspace root"
    );
    let variables = function["Properties"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap();
    let set: BTreeSet<String> = variables
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    // Every variable set is one the configuration reads (RUST_LOG: the log subscriber).
    let asked = RefCell::new(BTreeSet::new());
    Config::from_lookup(|name| {
        asked.borrow_mut().insert(name.to_owned());
        None
    })
    .unwrap();
    let unread: Vec<&String> = set
        .iter()
        .filter(|v| *v != "RUST_LOG" && !asked.borrow().contains(*v))
        .collect();
    assert!(unread.is_empty(), "set but never read: {unread:?}");
    for needed in [
        "KEYS_TABLE",
        "USAGE_TABLE",
        "KEY_PREFIX",
        "ROUTES_DOCUMENT",
        "ROUTES_DOCUMENT_BUCKET",
        "ROUTES_DOCUMENT_KEY",
        "ROUTES_DOCUMENT_VERSION",
        "AUTHORIZER_CACHE_TTL",
    ] {
        assert!(set.contains(needed), "{needed} is not set");
    }
    let outputs = stack["Outputs"].as_mapping().unwrap();
    assert!(
        tagged(&outputs["AuthorizerFunctionArn"]["Value"], "!GetAtt").is_some(),
        "the authorizer's ARN is an output"
    );
    // The document parameter is as long as CloudFormation allows.
    assert_eq!(stack["Parameters"]["RoutesDocument"]["MaxLength"], 4096);
}

#[test]
fn the_rest_snippet_lets_only_its_api_invoke_the_authorizer() {
    let snippet = load("templates/snippets/rest-api-authorizer.yaml");
    assert!(snippet.get("Transform").is_none(), "plain CloudFormation");
    let r = resources(&snippet);
    let authorizer = &r["KeyAuthAuthorizer"]["Properties"];
    assert_eq!(authorizer["Type"], "REQUEST");
    assert_eq!(
        authorizer["IdentitySource"],
        "method.request.header.x-api-key"
    );
    let permission = &r["KeyAuthInvokePermission"]["Properties"];
    assert_eq!(permission["Principal"], "apigateway.amazonaws.com");
    let source = tagged(&permission["SourceArn"], "!Sub")
        .unwrap()
        .as_str()
        .unwrap();
    assert!(
        source.ends_with(":${RestApiId}/authorizers/${KeyAuthAuthorizer}"),
        "{source}"
    );
}

/// The HTTP API snippet: simple responses on payload 2.0, the route key in the cache key,
/// and each identity header mapped from the context field the authorizer sets, with the
/// secret removed.
#[test]
fn the_http_api_snippet_maps_the_identity_and_caches_per_route() {
    let snippet = load("templates/snippets/http-api-authorizer.yaml");
    assert!(snippet.get("Transform").is_none(), "plain CloudFormation");
    let r = resources(&snippet);
    let authorizer = &r["KeyAuthAuthorizer"]["Properties"];
    assert_eq!(authorizer["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(authorizer["EnableSimpleResponses"], true);
    let sources: Vec<&str> = authorizer["IdentitySource"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(sources.contains(&"$request.header.x-api-key"));
    assert!(
        sources.contains(&"$context.routeKey"),
        "a cached answer must not serve another route"
    );
    let mapping = r["OrdersIntegration"]["Properties"]["RequestParameters"]
        .as_mapping()
        .unwrap();
    for (header, field) in identity_headers::ALL {
        let value = &mapping[format!("overwrite:header.{header}").as_str()];
        assert_eq!(
            value.as_str(),
            Some(format!("$context.authorizer.{field}").as_str())
        );
    }
    assert_eq!(context_keys::KEY_ID, "keyId");
    assert!(mapping.contains_key("remove:header.x-api-key"));
    assert_eq!(mapping.len(), identity_headers::ALL.len() + 1);
}
