//! The API in the template: its routes against the route table, the authorizer on every
//! route that needs a key, the gateway responses, the stage's throttle.

use super::{functions, resources, tagged, template};
use keyauth::domain::routes::ROUTES;
use keyauth::emulation::gateway_responses as gateway;
use std::collections::BTreeSet;

#[test]
fn api_events_are_exactly_the_route_table() {
    let t = template();
    let binary_of: std::collections::HashMap<String, String> = functions(&t).into_iter().collect();
    let mut in_template = BTreeSet::new();
    for (id, resource) in resources(&t) {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events {
            if event["Type"] == "DynamoDB" || event["Type"] == "EventBridgeRule" {
                continue; // the stream's readers and the bus's subscriber: key_changes.rs
            }
            assert_eq!(event["Type"], "Api");
            let props = &event["Properties"];
            assert_eq!(tagged(&props["RestApiId"], "!Ref").unwrap(), "Api");
            in_template.insert((
                props["Method"].as_str().unwrap().to_uppercase(),
                props["Path"].as_str().unwrap().to_owned(),
                binary_of[id.as_str().unwrap()].clone(),
            ));
        }
    }
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.binary().to_owned(),
            )
        })
        .collect();
    assert_eq!(in_template, expected);
}

#[test]
fn the_authorizer_is_wired_to_the_authorizer_function_on_every_route() {
    let t = template();
    let api = &resources(&t)["Api"];
    assert_eq!(api["Type"], "AWS::Serverless::Api");
    let auth = &api["Properties"]["Auth"];
    let default = auth["DefaultAuthorizer"].as_str().unwrap();
    let authorizer = &auth["Authorizers"][default];
    assert_eq!(authorizer["FunctionPayloadType"], "REQUEST");
    let arn = tagged(&authorizer["FunctionArn"], "!GetAtt").expect("FunctionArn is !GetAtt");
    let (logical_id, attribute) = arn.as_str().unwrap().split_once('.').unwrap();
    assert_eq!(attribute, "Arn");
    let function = resources(&t)
        .get(logical_id)
        .unwrap_or_else(|| panic!("FunctionArn names {logical_id}, which is not a resource"));
    assert_eq!(
        function["Type"], "AWS::Serverless::Function",
        "{logical_id} is not a function"
    );
    assert_eq!(
        function["Metadata"]["BuildProperties"]["Binary"],
        "authorizer"
    );
    let headers: Vec<&str> = authorizer["Identity"]["Headers"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(headers, vec![keyauth::edge::authorizer::API_KEY_HEADER]);
    // Only the routes that need no key opt out of the default authorizer, and they turn it
    // off rather than name another.
    for (_, resource) in resources(&t) {
        if let Some(events) = resource["Properties"]["Events"].as_mapping() {
            for (name, event) in events {
                let props = &event["Properties"];
                let public = props["Path"]
                    .as_str()
                    .is_some_and(|path| ROUTES.iter().any(|r| r.path == path && !r.needs_key()));
                if public {
                    assert_eq!(props["Auth"]["Authorizer"], "NONE", "{name:?}");
                } else {
                    assert!(props["Auth"].is_null(), "{name:?} overrides Auth");
                }
            }
        }
    }
}

#[test]
fn gateway_responses_match_what_the_local_server_sends() {
    let t = template();
    let declared = &resources(&t)["Api"]["Properties"]["GatewayResponses"];
    for response in gateway::ALL {
        let r = &declared[response.kind];
        assert_eq!(
            r["StatusCode"],
            response.status.to_string(),
            "{}",
            response.kind
        );
        assert_eq!(
            r["ResponseTemplates"]["application/json"].as_str().unwrap(),
            response.template(),
            "{}",
            response.kind
        );
    }
    // Every gateway response, declared or default, is JSON and never cached, as the
    // functions' own answers are.
    for (kind, r) in declared.as_mapping().unwrap() {
        let headers = &r["ResponseParameters"]["Headers"];
        assert_eq!(headers["Content-Type"], "'application/json'", "{kind:?}");
        assert_eq!(headers["Cache-Control"], "'no-store'", "{kind:?}");
    }
}

/// The stage's throttle comes from the two parameters, on every route; the leak-report
/// route, which runs no authorizer, has a tighter bucket of its own.
#[test]
fn the_stage_is_throttled_by_its_parameters() {
    let t = template();
    let settings = resources(&t)["Api"]["Properties"]["MethodSettings"]
        .as_sequence()
        .unwrap();
    assert_eq!(settings.len(), 2);
    let all = &settings[0];
    assert_eq!(
        (all["ResourcePath"].as_str(), all["HttpMethod"].as_str()),
        (Some("/*"), Some("*"))
    );
    let leak = &settings[1];
    let route = ROUTES
        .iter()
        .find(|r| r.function.binary() == "secret-scanning")
        .unwrap();
    // API Gateway's method settings escape each / of the path as ~1.
    assert_eq!(
        leak["ResourcePath"].as_str().unwrap(),
        route.path.replace('/', "~1").replacen("~1", "/~1", 1)
    );
    assert_eq!(leak["HttpMethod"].as_str().unwrap(), route.method);
    for (stage, own) in [
        ("ThrottlingRateLimit", "LeakReportRateLimit"),
        ("ThrottlingBurstLimit", "LeakReportBurstLimit"),
    ] {
        assert_eq!(tagged(&all[stage], "!Ref").unwrap(), stage);
        assert_eq!(tagged(&leak[stage], "!Ref").unwrap(), own);
        let default = |name: &str| {
            let parameter = &t["Parameters"][name];
            assert_eq!(parameter["Type"], "Number", "{name}");
            parameter["Default"].as_u64().unwrap()
        };
        assert!(default(own) >= 1 && default(own) < default(stage), "{own}");
    }
}
