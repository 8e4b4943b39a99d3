//! Tracing and access logs: parameters, off by default, that the operator flips; the
//! access log names the key by its id and never holds the key.

use super::{resources, tagged, template};
use keyauth::edge::context::context_keys;
use serde_yaml::Value;

fn if_of(v: &Value) -> [&Value; 3] {
    let branches = tagged(v, "!If")
        .unwrap_or_else(|| panic!("not an !If: {v:?}"))
        .as_sequence()
        .unwrap();
    [&branches[0], &branches[1], &branches[2]]
}

#[test]
fn tracing_and_access_logs_are_parameters_off_by_default() {
    let t = template();
    for (parameter, condition) in [("Tracing", "TracingOn"), ("AccessLogs", "AccessLogsOn")] {
        let p = &t["Parameters"][parameter];
        assert_eq!(p["Default"], "off", "{parameter}");
        assert_eq!(
            p["AllowedValues"],
            serde_yaml::to_value(["off", "on"]).unwrap()
        );
        let equals = tagged(&t["Conditions"][condition], "!Equals").unwrap();
        assert_eq!(tagged(&equals[0], "!Ref").unwrap(), parameter);
        assert_eq!(equals[1], "on");
    }
    // Every function, through Globals; none sets its own.
    let [on, active, off] = if_of(&t["Globals"]["Function"]["Tracing"]);
    assert_eq!(
        (on, active, off),
        (&"TracingOn".into(), &"Active".into(), &"PassThrough".into())
    );
    for (id, resource) in resources(&t) {
        if resource["Type"] == "AWS::Serverless::Function" {
            assert!(resource["Properties"].get("Tracing").is_none(), "{id:?}");
        }
    }
    let stage = &resources(&t)["Api"]["Properties"];
    let [on, yes, no] = if_of(&stage["TracingEnabled"]);
    assert_eq!(
        (on, yes, no),
        (&"TracingOn".into(), &true.into(), &false.into())
    );
}

#[test]
fn the_access_log_names_the_key_by_its_id_and_never_holds_it() {
    let t = template();
    let stage = &resources(&t)["Api"]["Properties"];
    let [on, setting, off] = if_of(&stage["AccessLogSetting"]);
    assert_eq!(on, "AccessLogsOn");
    assert_eq!(tagged(off, "!Ref").unwrap(), "AWS::NoValue");
    assert_eq!(
        tagged(&setting["DestinationArn"], "!GetAtt").unwrap(),
        "ApiAccessLogGroup.Arn"
    );
    let format: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(setting["Format"].as_str().unwrap()).expect("one JSON object a line");
    let from_authorizer = |field: &str| format!("$context.authorizer.{field}");
    assert_eq!(
        format["keyId"],
        from_authorizer(context_keys::KEY_ID).as_str()
    );
    assert_eq!(
        format["denyCode"],
        from_authorizer(context_keys::DENY_CODE).as_str()
    );
    assert_eq!(
        format["subject"],
        from_authorizer(context_keys::SUBJECT).as_str()
    );
    for (name, value) in &format {
        let value = value.as_str().unwrap();
        assert!(value.starts_with("$context."), "{name}: {value}");
        for secret in ["apiKey", "api-key", "$input", "header"] {
            assert!(!value.contains(secret), "{name} may carry the key: {value}");
        }
    }
    let group = &resources(&t)["ApiAccessLogGroup"];
    assert_eq!(group["Condition"], "AccessLogsOn");
    assert_eq!(
        tagged(&group["Properties"]["RetentionInDays"], "!Ref").unwrap(),
        "LogRetentionDays"
    );
}

/// The authorizer-only stack takes the same switch for its one function.
#[test]
fn the_authorizer_stack_traces_when_asked() {
    let stack = super::load("templates/authorizer.yaml");
    assert_eq!(stack["Parameters"]["Tracing"]["Default"], "off");
    let function = &resources(&stack)["AuthorizerFunction"]["Properties"];
    let [on, active, off] = if_of(&function["Tracing"]);
    assert_eq!(
        (on, active, off),
        (&"TracingOn".into(), &"Active".into(), &"PassThrough".into())
    );
    let equals = tagged(&stack["Conditions"]["TracingOn"], "!Equals").unwrap();
    assert_eq!(tagged(&equals[0], "!Ref").unwrap(), "Tracing");
}
