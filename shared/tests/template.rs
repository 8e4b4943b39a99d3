//! `template.yaml` against the code: every function, route, authorizer reference, gateway
//! response and table must match the route table, `functions/` and the store's schema.
//! cfn-lint and `sam validate` check the template's syntax; they do not check these links
//! (cfn-lint misses a misspelled `!GetAtt X.Arn` inside an authorizer's `FunctionArn`).

use keyauth::emulation::gateway_responses as gateway;
use keyauth::routes::{Function, ROUTES};
use keyauth::store::dynamo::{CREATOR_INDEX, ID_INDEX, SUBJECT_INDEX};
use serde_yaml::Value;
use serde_yaml::value::TaggedValue;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn resources(t: &Value) -> &serde_yaml::Mapping {
    t["Resources"].as_mapping().unwrap()
}

fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(t) => {
            let TaggedValue { tag: t_tag, value } = t.as_ref();
            (t_tag == tag).then_some(value)
        }
        _ => None,
    }
}

/// Lambda functions in the template: logical id → binary name.
fn functions(t: &Value) -> Vec<(String, String)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| {
            assert_eq!(r["Metadata"]["BuildMethod"], "rust-cargolambda", "{id:?}");
            assert_eq!(
                r["Properties"]["CodeUri"], "./",
                "{id:?} builds from the workspace root"
            );
            let binary = r["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
            (id.as_str().unwrap().to_owned(), binary.to_owned())
        })
        .collect()
}

#[test]
fn every_function_folder_is_a_template_function_and_back() {
    let t = template();
    let in_template: BTreeSet<String> = functions(&t).into_iter().map(|(_, b)| b).collect();
    let mut folders = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name}: package name differs from folder"
        );
        folders.insert(name);
    }
    assert_eq!(in_template, folders);
    for function in Function::ALL {
        assert!(in_template.contains(function.binary()), "{function:?}");
    }
}

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
            if event["Type"] == "DynamoDB" {
                continue; // the flush function's stream, checked below
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
    assert_eq!(headers, vec![keyauth::authorizer::API_KEY_HEADER]);
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

#[test]
fn tables_match_the_store_schema_and_functions_get_their_names() {
    let t = template();
    let keys = &resources(&t)["KeysTable"]["Properties"];
    assert_eq!(keys["KeySchema"][0]["AttributeName"], "keyHash");
    let indexes: BTreeSet<&str> = keys["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|i| i["IndexName"].as_str().unwrap())
        .collect();
    assert_eq!(
        indexes,
        BTreeSet::from([ID_INDEX, SUBJECT_INDEX, CREATOR_INDEX])
    );
    assert_eq!(keys["BillingMode"], "PAY_PER_REQUEST");
    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(tagged(&env["KEYS_TABLE"], "!Ref").unwrap(), "KeysTable");
    assert_eq!(
        tagged(&env["PRODUCTS_TABLE"], "!Ref").unwrap(),
        "ProductsTable"
    );
    assert_eq!(tagged(&env["KEY_PREFIX"], "!Ref").unwrap(), "KeyPrefix");
    assert_eq!(
        tagged(&env["EVENTS_TABLE"], "!Ref").unwrap(),
        "KeyEventsTable"
    );
    assert_eq!(
        tagged(&env["AUDIT_RETENTION_DAYS"], "!Ref").unwrap(),
        "AuditRetentionDays"
    );
    // The events table: the key and sort key the store writes, and TTL on `expiresAt`.
    let events = &resources(&t)["KeyEventsTable"]["Properties"];
    let schema: Vec<(&str, &str)> = events["KeySchema"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap(),
                k["KeyType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(schema, [("keyId", "HASH"), ("eventKey", "RANGE")]);
    assert_eq!(
        events["TimeToLiveSpecification"]["AttributeName"],
        keyauth::store::dynamo::EXPIRES_AT
    );
    assert_eq!(events["TimeToLiveSpecification"]["Enabled"], true);
    // The usage table: counters by `id`, window counters expiring by TTL on `expiresAt`.
    assert_eq!(tagged(&env["USAGE_TABLE"], "!Ref").unwrap(), "UsageTable");
    let usage = &resources(&t)["UsageTable"]["Properties"];
    assert_eq!(usage["KeySchema"][0]["AttributeName"], "id");
    assert_eq!(usage["KeySchema"].as_sequence().unwrap().len(), 1);
    assert_eq!(
        usage["TimeToLiveSpecification"]["AttributeName"],
        keyauth::store::dynamo::EXPIRES_AT
    );
    assert_eq!(usage["TimeToLiveSpecification"]["Enabled"], true);
    let retention = &t["Parameters"]["AuditRetentionDays"];
    assert_eq!(retention["Default"], keyauth::audit::DEFAULT_RETENTION_DAYS);
    assert_eq!(retention["MaxValue"], keyauth::audit::MAX_RETENTION_DAYS);
}

/// The attributes each function's `UpdateItem` may touch (its IAM condition) are exactly
/// the ones the code writes. DynamoDB Local and dynalite do not enforce IAM, so without
/// this a new attribute in an update would first fail in AWS, silently for usage writes.
#[test]
fn update_item_conditions_match_what_the_code_writes() {
    use keyauth::store::dynamo::{
        REROLL_ATTRIBUTES, REVOKE_ATTRIBUTES, TOUCH_ATTRIBUTES, UPDATE_ATTRIBUTES,
    };
    let t = template();
    let conditioned = |function: &str| -> Vec<String> {
        let statements = resources(&t)[function]["Properties"]["Policies"][0]["Statement"]
            .as_sequence()
            .unwrap()
            .clone();
        let update: Vec<&Value> = statements
            .iter()
            .filter(|s| s["Action"] == "dynamodb:UpdateItem")
            .collect();
        assert_eq!(update.len(), 1, "{function}: one UpdateItem statement");
        update[0]["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{function}: UpdateItem without an attribute condition"))
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(conditioned("AuthorizerFunction"), TOUCH_ATTRIBUTES);
    assert_eq!(conditioned("VerifyKeyFunction"), TOUCH_ATTRIBUTES);
    let written: BTreeSet<&str> = REVOKE_ATTRIBUTES
        .into_iter()
        .chain(UPDATE_ATTRIBUTES)
        .chain(REROLL_ATTRIBUTES)
        .collect();
    let allowed = conditioned("ManageKeysFunction");
    assert_eq!(
        allowed.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        written
    );
    assert_eq!(allowed.len(), written.len(), "each attribute once");
    // A leak report revokes, and does nothing else to a key.
    assert_eq!(conditioned("SecretScanningFunction"), REVOKE_ATTRIBUTES);
    // Functions that never update have no UpdateItem at all.
    let create_product = serde_yaml::to_string(&resources(&t)["CreateProductFunction"]).unwrap();
    assert!(!create_product.contains("UpdateItem"));
}

/// The flush function: on the keys table's stream (old and new images, which it compares),
/// only when the cache is on, told its API and stage, retrying no longer than the longest
/// cache TTL, and allowed exactly `FlushStageAuthorizersCache` on that stage.
#[test]
fn the_flush_function_reads_the_keys_stream_and_flushes_only_its_stage() {
    let t = template();
    let on = &t["Conditions"]["AuthorizerCacheOn"];
    let not = tagged(on, "!Not").expect("AuthorizerCacheOn is !Not [!Equals ...]");
    let equals = tagged(&not[0], "!Equals").unwrap();
    assert_eq!(tagged(&equals[0], "!Ref").unwrap(), "AuthorizerCacheTtl");
    assert_eq!(equals[1], 0);
    let stream = tagged(
        &resources(&t)["KeysTable"]["Properties"]["StreamSpecification"],
        "!If",
    )
    .expect("the keys table's stream depends on the cache");
    assert_eq!(stream[0], "AuthorizerCacheOn");
    assert_eq!(stream[1]["StreamViewType"], "NEW_AND_OLD_IMAGES");

    let flush = &resources(&t)["FlushAuthorizerCacheFunction"];
    for id in [
        "FlushAuthorizerCacheFunction",
        "FlushAuthorizerCacheRole",
        "FlushAuthorizerCacheLogGroup",
    ] {
        assert_eq!(resources(&t)[id]["Condition"], "AuthorizerCacheOn", "{id}");
    }
    let props = &flush["Properties"];
    assert_eq!(
        tagged(&props["Role"], "!GetAtt").unwrap(),
        "FlushAuthorizerCacheRole.Arn"
    );
    let env = &props["Environment"]["Variables"];
    assert_eq!(tagged(&env["REST_API_ID"], "!Ref").unwrap(), "Api");
    assert_eq!(tagged(&env["STAGE_NAME"], "!Ref").unwrap(), "StageName");
    let events = props["Events"].as_mapping().unwrap();
    assert_eq!(events.len(), 1);
    let source = &events.values().next().unwrap()["Properties"];
    assert_eq!(
        tagged(&source["Stream"], "!GetAtt").unwrap(),
        "KeysTable.StreamArn"
    );
    let pattern: serde_json::Value = serde_json::from_str(
        source["FilterCriteria"]["Filters"][0]["Pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        pattern,
        serde_json::json!({"eventName": ["MODIFY", "REMOVE"]})
    );
    assert_eq!(
        source["MaximumRecordAgeInSeconds"],
        t["Parameters"]["AuthorizerCacheTtl"]["MaxValue"]
    );

    let role = &resources(&t)["FlushAuthorizerCacheRole"]["Properties"];
    assert!(role.get("ManagedPolicyArns").is_none(), "no managed policy");
    let policies = role["Policies"].as_sequence().unwrap();
    assert_eq!(policies.len(), 1);
    let statements = policies[0]["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap();
    let gateway: Vec<&Value> = statements
        .iter()
        .filter(|s| {
            serde_yaml::to_string(&s["Action"])
                .unwrap()
                .contains("apigateway:")
        })
        .collect();
    assert_eq!(gateway.len(), 1, "one API Gateway statement");
    assert_eq!(gateway[0]["Action"], "apigateway:DELETE");
    let resource = tagged(&gateway[0]["Resource"], "!Sub")
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(
        resource,
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${StageName}/cache/authorizers"
    );
    for statement in statements {
        assert_eq!(statement["Effect"], "Allow");
        // Every resource named (a scalar, a list, or a !Sub / !GetAtt), never a wildcard.
        let resources = match &statement["Resource"] {
            Value::Sequence(list) => list.clone(),
            one => vec![one.clone()],
        };
        for resource in resources {
            let text = match &resource {
                Value::String(text) => text.clone(),
                tagged => serde_yaml::to_string(tagged).unwrap(),
            };
            assert!(
                !text.trim().is_empty() && text.trim() != "*",
                "{statement:?}"
            );
            assert!(
                !text.contains("'*'") && !text.contains("\"*\""),
                "{statement:?}"
            );
        }
    }
}

/// Every check the template tells checkov to skip says why, next to the resource.
#[test]
fn every_skipped_security_check_gives_its_reason() {
    let t = template();
    let mut skipped = 0;
    for (id, resource) in resources(&t) {
        let Some(skips) = resource["Metadata"]["checkov"]["skip"].as_sequence() else {
            continue;
        };
        for skip in skips {
            let check = skip["id"].as_str().unwrap_or_default();
            let reason = skip["comment"].as_str().unwrap_or_default();
            assert!(check.starts_with("CKV_"), "{id:?}: {skip:?}");
            assert!(
                reason.split_whitespace().count() >= 8,
                "{id:?} {check}: no reason given"
            );
            skipped += 1;
        }
    }
    assert!(
        skipped > 0,
        "the template skips no check: then this test has nothing to hold"
    );
}

/// The stage's throttle comes from the two parameters, on every route.
#[test]
fn the_stage_is_throttled_by_its_parameters() {
    let t = template();
    let settings = resources(&t)["Api"]["Properties"]["MethodSettings"]
        .as_sequence()
        .unwrap();
    assert_eq!(settings.len(), 1);
    let all = &settings[0];
    assert_eq!(
        (all["ResourcePath"].as_str(), all["HttpMethod"].as_str()),
        (Some("/*"), Some("*"))
    );
    for name in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        assert_eq!(tagged(&all[name], "!Ref").unwrap(), name);
        let parameter = &t["Parameters"][name];
        assert_eq!(parameter["Type"], "Number", "{name}");
        assert!(parameter["Default"].as_u64().unwrap() >= 1, "{name}");
    }
}
