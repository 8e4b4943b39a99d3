//! What each function may do: its `UpdateItem` attributes against what the code writes,
//! and the flush function's stream and its one API Gateway right.

use super::{resources, tagged, template};
use serde_yaml::Value;
use std::collections::BTreeSet;

/// The attributes each function's `UpdateItem` may touch (its IAM condition) are exactly
/// the ones the code writes. DynamoDB Local and dynalite do not enforce IAM, so without
/// this a new attribute in an update would first fail in AWS, silently for usage writes.
#[test]
fn update_item_conditions_match_what_the_code_writes() {
    use keyauth::store::dynamo::{
        CASCADE_ATTRIBUTES, REROLL_ATTRIBUTES, REVOKE_ATTRIBUTES, TOUCH_ATTRIBUTES,
        UPDATE_ATTRIBUTES,
    };
    let t = template();
    let conditioned = |function: &str| {
        let policy = &resources(&t)[function]["Properties"]["Policies"][0];
        update_attributes(function, policy)
    };
    assert_eq!(conditioned("AuthorizerFunction"), TOUCH_ATTRIBUTES);
    assert_eq!(conditioned("VerifyKeyFunction"), TOUCH_ATTRIBUTES);
    let written: BTreeSet<&str> = REVOKE_ATTRIBUTES
        .into_iter()
        .chain(UPDATE_ATTRIBUTES)
        .chain(REROLL_ATTRIBUTES)
        .chain(CASCADE_ATTRIBUTES)
        .collect();
    let allowed = conditioned("ManageKeysFunction");
    assert_eq!(
        allowed.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        written
    );
    assert_eq!(allowed.len(), written.len(), "each attribute once");
    // A leak report (and a cascade's continuation) revokes keys and keeps the cascade's job,
    // and does nothing else to a key.
    let revoking: Vec<&str> = REVOKE_ATTRIBUTES
        .into_iter()
        .chain(CASCADE_ATTRIBUTES.into_iter().skip(1))
        .collect();
    assert_eq!(conditioned("SecretScanningFunction"), revoking);
    let role = &resources(&t)["ContinueCascadeRole"]["Properties"]["Policies"][0];
    let continuing = update_attributes("ContinueCascadeRole", &role["PolicyDocument"]);
    assert_eq!(continuing, revoking);
    // Functions that never update have no UpdateItem at all.
    let create_product = serde_yaml::to_string(&resources(&t)["CreateProductFunction"]).unwrap();
    assert!(!create_product.contains("UpdateItem"));
}

/// The attributes a policy document's one `UpdateItem` statement is conditioned on.
fn update_attributes(owner: &str, policy: &Value) -> Vec<String> {
    let update: Vec<&Value> = policy["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["Action"] == "dynamodb:UpdateItem")
        .collect();
    assert_eq!(update.len(), 1, "{owner}: one UpdateItem statement");
    update[0]["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{owner}: UpdateItem without an attribute condition"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
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
    // Always on: the cascade continuation reads it too.
    let stream = &resources(&t)["KeysTable"]["Properties"]["StreamSpecification"];
    assert_eq!(stream["StreamViewType"], "NEW_AND_OLD_IMAGES");

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

/// The cascade continuation: on the keys table's stream, woken only by a root whose job was
/// handed on (the filter names the attribute and state the store writes), with a timeout
/// its walk's margin fits in, and its own role with no wildcard.
#[test]
fn the_continuation_wakes_on_a_cascade_handed_on() {
    use keyauth::domain::cascade::CascadeState;
    use keyauth::edge::cascade_worker::MARGIN;
    use keyauth::store::dynamo::CASCADE_ATTRIBUTES;
    let t = template();
    let function = &resources(&t)["ContinueCascadeFunction"];
    assert!(function.get("Condition").is_none(), "always deployed");
    let props = &function["Properties"];
    assert_eq!(
        tagged(&props["Role"], "!GetAtt").unwrap(),
        "ContinueCascadeRole.Arn"
    );
    let timeout = props["Timeout"].as_u64().unwrap();
    assert!(timeout > 2 * MARGIN.as_secs(), "{timeout}");
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
    let mut expected = serde_json::json!({"dynamodb": {"NewImage": {}}});
    expected["dynamodb"]["NewImage"][CASCADE_ATTRIBUTES[2]] =
        serde_json::json!({"S": [CascadeState::Pending.as_str()]});
    assert_eq!(pattern, expected);
    let role = &resources(&t)["ContinueCascadeRole"]["Properties"];
    assert!(role.get("ManagedPolicyArns").is_none(), "no managed policy");
    let text = serde_yaml::to_string(role).unwrap();
    assert!(
        !text.contains("'*'") && !text.contains("Resource: '*'"),
        "{text}"
    );
}
