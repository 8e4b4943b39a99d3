//! The revocation fan-out in the template: the keys table's stream has exactly two readers
//! (the cascade continuation and the key-changes publisher), each keeping a batch it gives
//! up on in the failed-events queue; the publisher writes on the exported bus only; the
//! flush function subscribes to that bus with the event's own source and detail-type and
//! may flush exactly its stage's authorizer cache.

use super::{resources, tagged, template};
use keyauth::edge::wire::key_changes::{DETAIL_TYPE, SOURCE};
use serde_yaml::Value;

/// The statements of a role's one inline policy, after checking it has no managed policy.
fn statements<'a>(t: &'a Value, role: &str) -> &'a [Value] {
    let role = &resources(t)[role]["Properties"];
    super::no_managed_policy_but_xray(role);
    let policies = role["Policies"].as_sequence().unwrap();
    assert_eq!(policies.len(), 1);
    policies[0]["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap()
}

/// The statements whose actions mention `service:`.
fn on<'a>(statements: &'a [Value], service: &str) -> Vec<&'a Value> {
    statements
        .iter()
        .filter(|s| {
            serde_yaml::to_string(&s["Action"])
                .unwrap()
                .contains(&format!("{service}:"))
        })
        .collect()
}

/// Every statement allows, on named resources only: never a bare or quoted `*`.
fn no_wildcard_resource(statements: &[Value]) {
    for statement in statements {
        assert_eq!(statement["Effect"], "Allow");
        let text = serde_yaml::to_string(&statement["Resource"]).unwrap();
        assert!(
            !text.trim().is_empty() && text.trim() != "*" && !text.contains("'*'"),
            "{statement:?}"
        );
    }
}

fn stream_readers(t: &Value) -> Vec<(String, Value)> {
    let mut readers = Vec::new();
    for (id, resource) in resources(t) {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "DynamoDB") {
            let source = &event["Properties"];
            assert_eq!(
                tagged(&source["Stream"], "!GetAtt").unwrap(),
                "KeysTable.StreamArn"
            );
            readers.push((id.as_str().unwrap().to_owned(), source.clone()));
        }
    }
    readers
}

#[test]
fn the_keys_stream_has_two_readers_each_keeping_what_it_gives_up() {
    let t = template();
    let stream = &resources(&t)["KeysTable"]["Properties"]["StreamSpecification"];
    assert_eq!(stream["StreamViewType"], "NEW_AND_OLD_IMAGES");
    let readers = stream_readers(&t);
    let names: Vec<&str> = readers.iter().map(|(id, _)| id.as_str()).collect();
    // DynamoDB Streams allows two readers per shard: nothing else may read it.
    assert_eq!(
        names,
        ["ContinueCascadeFunction", "PublishKeyChangesFunction"]
    );
    for (id, source) in &readers {
        let failure = &source["DestinationConfig"]["OnFailure"];
        assert_eq!(failure["Type"], "SQS", "{id}");
        assert_eq!(
            tagged(&failure["Destination"], "!GetAtt").unwrap(),
            "FailedEventsQueue.Arn",
            "{id}"
        );
        assert!(
            resources(&t)[id.as_str()].get("Condition").is_none(),
            "{id}"
        );
    }
    let queue = &resources(&t)["FailedEventsQueue"]["Properties"];
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    assert_eq!(queue["MessageRetentionPeriod"], 14 * 24 * 3600);
    for role in ["ContinueCascadeRole", "PublishKeyChangesRole"] {
        let sqs = on(statements(&t, role), "sqs");
        assert_eq!(sqs.len(), 1, "{role}");
        assert_eq!(sqs[0]["Action"], "sqs:SendMessage", "{role}");
    }
}

#[test]
fn the_publisher_reads_the_stream_and_writes_only_on_the_exported_bus() {
    let t = template();
    let (_, source) = stream_readers(&t)
        .into_iter()
        .find(|(id, _)| id == "PublishKeyChangesFunction")
        .unwrap();
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
    // Retried until the longest cache TTL has passed, then kept in the queue.
    assert_eq!(source["MaximumRetryAttempts"], -1);
    assert_eq!(
        source["MaximumRecordAgeInSeconds"],
        t["Parameters"]["AuthorizerCacheTtl"]["MaxValue"]
    );
    let props = &resources(&t)["PublishKeyChangesFunction"]["Properties"];
    let bus = &props["Environment"]["Variables"]["KEY_CHANGES_BUS"];
    assert_eq!(tagged(bus, "!Ref").unwrap(), "KeyChangesBus");
    let statements = statements(&t, "PublishKeyChangesRole");
    no_wildcard_resource(statements);
    let events = on(statements, "events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["Action"], "events:PutEvents");
    assert_eq!(
        tagged(&events[0]["Resource"], "!GetAtt").unwrap(),
        "KeyChangesBus.Arn"
    );
    assert!(on(statements, "apigateway").is_empty());
    for output in ["KeyChangesBusName", "KeyChangesBusArn"] {
        let name = tagged(&t["Outputs"][output]["Export"]["Name"], "!Sub").unwrap();
        assert_eq!(
            name.as_str().unwrap(),
            format!("${{AWS::StackName}}-{output}")
        );
    }
}

/// A flush function subscribed to the key-changes bus in `stack`: a rule with the
/// publisher's source and detail-type on the bus `bus` names, retries and dead letters
/// bounded by the longest cache TTL into `queue`, whose policy admits only that rule; a role
/// with no DynamoDB and one API Gateway statement, whose resource it returns.
fn subscriber<'a>(stack: &'a Value, bus: &str, queue: &str) -> &'a Value {
    let props = &resources(stack)["FlushAuthorizerCacheFunction"]["Properties"];
    let events = props["Events"].as_mapping().unwrap();
    assert_eq!(events.len(), 1);
    // A name of its own: the stream mapping was "KeyChanges", and CloudFormation cannot
    // update a resource into another type.
    let rule = &props["Events"]["OnKeyChanges"];
    assert_eq!(rule["Type"], "EventBridgeRule");
    let rule = &rule["Properties"];
    assert_eq!(tagged(&rule["EventBusName"], "!Ref").unwrap(), bus);
    // The pattern names what the publisher sends (tests/cache_flush runs it on moto's bus).
    let pattern = serde_json::to_value(&rule["Pattern"]).unwrap();
    assert_eq!(
        pattern,
        serde_json::json!({"source": [SOURCE], "detail-type": [DETAIL_TYPE]})
    );
    // Its own retries of a failed flush run until 10 s before the timeout: 15 minutes.
    assert_eq!(props["Timeout"], 900);
    let max_ttl = &template()["Parameters"]["AuthorizerCacheTtl"]["MaxValue"];
    assert_eq!(&rule["RetryPolicy"]["MaximumEventAgeInSeconds"], max_ttl);
    assert_eq!(
        &props["EventInvokeConfig"]["MaximumEventAgeInSeconds"],
        max_ttl
    );
    for dead_letters in [
        &rule["DeadLetterConfig"]["Arn"],
        &props["DeadLetterQueue"]["TargetArn"],
    ] {
        assert_eq!(
            tagged(dead_letters, "!GetAtt").unwrap().as_str().unwrap(),
            format!("{queue}.Arn")
        );
    }
    // EventBridge may put only this rule's undelivered events in the queue.
    let policy = &resources(stack)[format!("{queue}Policy").as_str()]["Properties"];
    let statement = &policy["PolicyDocument"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    let source = &statement["Condition"]["ArnEquals"]["aws:SourceArn"];
    assert_eq!(
        tagged(source, "!GetAtt").unwrap(),
        "FlushAuthorizerCacheFunctionOnKeyChanges.Arn"
    );
    let queue = &resources(stack)[queue]["Properties"];
    assert_eq!(queue["SqsManagedSseEnabled"], true);

    let statements = statements(stack, "FlushAuthorizerCacheRole");
    no_wildcard_resource(statements);
    assert!(
        on(statements, "dynamodb").is_empty(),
        "no stream of its own"
    );
    let gateway = on(statements, "apigateway");
    assert_eq!(gateway.len(), 1, "one API Gateway statement");
    assert_eq!(gateway[0]["Action"], "apigateway:DELETE");
    &gateway[0]["Resource"]
}

#[test]
fn the_flush_subscribes_to_the_bus_and_flushes_only_its_stage() {
    let t = template();
    for id in [
        "FlushAuthorizerCacheFunction",
        "FlushAuthorizerCacheRole",
        "FlushAuthorizerCacheLogGroup",
        "FailedEventsQueuePolicy",
    ] {
        assert_eq!(resources(&t)[id]["Condition"], "AuthorizerCacheOn", "{id}");
    }
    let on_cache = &t["Conditions"]["AuthorizerCacheOn"];
    let equals = tagged(&tagged(on_cache, "!Not").unwrap()[0], "!Equals").unwrap();
    assert_eq!(tagged(&equals[0], "!Ref").unwrap(), "AuthorizerCacheTtl");
    assert_eq!(equals[1], 0);
    let props = &resources(&t)["FlushAuthorizerCacheFunction"]["Properties"];
    let env = &props["Environment"]["Variables"];
    assert_eq!(tagged(&env["API_ID"], "!Ref").unwrap(), "Api");
    assert_eq!(tagged(&env["STAGE_NAME"], "!Ref").unwrap(), "StageName");
    assert!(env.get("API_TYPE").is_none(), "a REST API, the default");
    let resource = subscriber(&t, "KeyChangesBus", "FailedEventsQueue");
    assert_eq!(
        tagged(resource, "!Sub").unwrap().as_str().unwrap(),
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${StageName}/cache/authorizers"
    );
}

/// `templates/cache-flush.yaml`, one API's subscriber: the same rule on the bus its
/// parameter names, told the API, its type and stage, and allowed that stage's flush of the
/// type's own call only (a REST API's `FlushStageAuthorizersCache`, an HTTP API's
/// `ResetAuthorizersCache`); every variable it sets is one the code reads.
#[test]
fn the_cache_flush_stack_subscribes_one_api_of_either_type() {
    use keyauth::edge::cache_flush::ApiGatewayStage;
    let stack = super::load("templates/cache-flush.yaml");
    let props = &resources(&stack)["FlushAuthorizerCacheFunction"]["Properties"];
    let env = props["Environment"]["Variables"].as_mapping().unwrap();
    let mut set: Vec<&str> = env.keys().map(|k| k.as_str().unwrap()).collect();
    set.sort();
    assert_eq!(set, ["API_ID", "API_TYPE", "RUST_LOG", "STAGE_NAME"]);
    for (name, parameter) in [
        ("API_ID", "ApiId"),
        ("API_TYPE", "ApiType"),
        ("STAGE_NAME", "StageName"),
    ] {
        assert_eq!(tagged(&env[name], "!Ref").unwrap(), parameter, "{name}");
    }
    // Every type the template offers is one the function takes.
    let types = stack["Parameters"]["ApiType"]["AllowedValues"]
        .as_sequence()
        .unwrap();
    assert_eq!(types.len(), 2);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for api_type in types {
        let api_type = api_type.as_str().unwrap().to_owned();
        let vars = [
            ("API_ID", "abc1234567"),
            ("STAGE_NAME", "prod"),
            ("API_TYPE", api_type.as_str()),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        assert!(
            runtime
                .block_on(ApiGatewayStage::from_lookup(lookup))
                .is_ok(),
            "{api_type}"
        );
    }
    let resource = subscriber(&stack, "KeyChangesBusName", "FailedFlushesQueue");
    let choice = tagged(resource, "!If").unwrap().as_sequence().unwrap();
    assert_eq!(choice[0], "RestApi");
    let rest = tagged(&stack["Conditions"]["RestApi"], "!Equals").unwrap();
    assert_eq!(tagged(&rest[0], "!Ref").unwrap(), "ApiType");
    assert_eq!(rest[1], "REST");
    let arn = |i: usize| {
        tagged(&choice[i], "!Sub")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        arn(1),
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ApiId}/stages/${StageName}/cache/authorizers"
    );
    assert_eq!(
        arn(2),
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/apis/${ApiId}/stages/${StageName}/cache/authorizers"
    );
}
