//! The alarms and the dashboard: every alarm notifies the optional topic both ways and
//! counts no traffic as fine; the throttles alarm covers every function of the stack; each
//! metric names a resource of the template; the dashboard shows every alarm; the README
//! says what each means.

use super::{functions, resources, root, tagged, template};
use serde_yaml::Value;
use std::collections::BTreeSet;

fn alarms(t: &Value) -> Vec<(String, &Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|(id, r)| (id.as_str().unwrap().to_owned(), &r["Properties"]))
        .collect()
}

/// Each metric an alarm reads (its own, or each of its metric math's), as the `Value` of
/// every dimension but DynamoDB's `Operation` (a name of the API): what it is about.
fn dimension_values(alarm: &Value) -> Vec<Value> {
    let mut metrics: Vec<&Value> = vec![alarm];
    if let Some(list) = alarm["Metrics"].as_sequence() {
        for item in list {
            let metric = match tagged(item, "!If") {
                Some(choice) => &choice[1],
                None => item,
            };
            if metric.get("MetricStat").is_some() {
                metrics.push(&metric["MetricStat"]["Metric"]);
            }
        }
    }
    metrics
        .into_iter()
        .filter_map(|m| m["Dimensions"].as_sequence())
        .flatten()
        .filter(|d| d["Name"] != "Operation")
        .map(|d| d["Value"].clone())
        .collect()
}

#[test]
fn every_alarm_notifies_the_topic_when_set_and_ignores_silence() {
    let main = template();
    let authorizer = super::load("templates/authorizer.yaml");
    let flush = super::load("templates/cache-flush.yaml");
    for t in [&main, &authorizer, &flush] {
        alarms_notify_and_name_resources(t);
    }
    assert!(alarms(&main).len() >= 8);
    // The authorizer-only stack: the main stack's authorizer alarms, the same parameters.
    for id in ["AuthorizerErrorsAlarm", "AuthorizerDurationAlarm"] {
        assert_eq!(resources(&authorizer)[id], resources(&main)[id], "{id}");
    }
    for name in [
        "AlarmTopicArn",
        "AuthorizerErrorThreshold",
        "AuthorizerP99ThresholdMs",
    ] {
        // The same parameter, its description aside.
        let spec = |t: &Value| {
            let mut spec = t["Parameters"][name].as_mapping().unwrap().clone();
            spec.remove("Description");
            spec
        };
        assert_eq!(spec(&authorizer), spec(&main), "{name}");
    }
    let throttles = &resources(&authorizer)["FunctionThrottlesAlarm"]["Properties"];
    let named = tagged(&throttles["Dimensions"][0]["Value"], "!Ref").unwrap();
    assert_eq!(named, "AuthorizerFunction");
}

fn alarms_notify_and_name_resources(t: &Value) {
    let alarms = alarms(t);
    assert!(alarms.len() >= 2, "{alarms:?}");
    let topic: Value =
        serde_yaml::from_str("!If [AlarmTopicSet, [!Ref AlarmTopicArn], !Ref AWS::NoValue]")
            .unwrap();
    let set = tagged(&t["Conditions"]["AlarmTopicSet"], "!Not").unwrap();
    let empty = tagged(&set[0], "!Equals").unwrap();
    assert_eq!(tagged(&empty[0], "!Ref").unwrap(), "AlarmTopicArn");
    assert_eq!(empty[1], "");
    for (id, alarm) in &alarms {
        assert_eq!(alarm["AlarmActions"], topic, "{id}");
        assert_eq!(alarm["OKActions"], topic, "{id}");
        assert_eq!(alarm["TreatMissingData"], "notBreaching", "{id}");
        let about = alarm["AlarmDescription"].as_str().unwrap();
        assert!(about.contains("README.md, Alarms"), "{id}: {about}");
        // Every metric is about something this stack holds (or its name, the API's).
        for value in dimension_values(alarm) {
            let named = tagged(&value, "!Ref")
                .or_else(|| tagged(&value, "!GetAtt"))
                .unwrap_or_else(|| panic!("{id}: a literal dimension {value:?}"));
            let name = named.as_str().unwrap().split('.').next().unwrap();
            assert!(
                resources(t).contains_key(name)
                    || t["Parameters"].get(name).is_some()
                    || name == "AWS::StackName",
                "{id}: {name}"
            );
        }
    }
}

#[test]
fn the_throttles_alarm_covers_every_function() {
    let t = template();
    let alarm = &resources(&t)["FunctionThrottlesAlarm"]["Properties"];
    let named: BTreeSet<String> = dimension_values(alarm)
        .iter()
        .map(|v| tagged(v, "!Ref").unwrap().as_str().unwrap().to_owned())
        .collect();
    let all: BTreeSet<String> = functions(&t).into_iter().map(|(id, _)| id).collect();
    assert_eq!(named, all);
    // The conditional function's metric has its condition.
    let conditional: Vec<&Value> = alarm["Metrics"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|m| tagged(m, "!If"))
        .collect();
    assert_eq!(conditional.len(), 1);
    assert_eq!(conditional[0][0], "AuthorizerCacheOn");
    assert_eq!(
        resources(&t)["FlushAuthorizerCacheFunction"]["Condition"],
        "AuthorizerCacheOn"
    );
}

#[test]
fn the_authorizer_alarms_read_the_authorizer_against_their_parameters() {
    let t = template();
    for (id, metric, threshold) in [
        (
            "AuthorizerErrorsAlarm",
            "Errors",
            "AuthorizerErrorThreshold",
        ),
        (
            "AuthorizerDurationAlarm",
            "Duration",
            "AuthorizerP99ThresholdMs",
        ),
    ] {
        let alarm = &resources(&t)[id]["Properties"];
        assert_eq!(alarm["MetricName"], metric, "{id}");
        assert_eq!(
            tagged(&alarm["Dimensions"][0]["Value"], "!Ref").unwrap(),
            "AuthorizerFunction"
        );
        assert_eq!(tagged(&alarm["Threshold"], "!Ref").unwrap(), threshold);
        assert!(t["Parameters"][threshold]["Default"].is_number(), "{id}");
    }
    let duration = &resources(&t)["AuthorizerDurationAlarm"]["Properties"];
    assert_eq!(duration["ExtendedStatistic"], "p99");
    let api = &resources(&t)["Api5xxAlarm"]["Properties"];
    assert_eq!(
        tagged(&api["Threshold"], "!Ref").unwrap(),
        "Api5xxPercentThreshold"
    );
}

#[test]
fn the_dashboard_shows_every_alarm_and_the_readme_explains_each() {
    let t = template();
    let ids: BTreeSet<String> = alarms(&t).into_iter().map(|(id, _)| id).collect();
    let dashboard = &resources(&t)["Dashboard"]["Properties"]["DashboardBody"];
    let body = tagged(dashboard, "!Sub").unwrap().as_str().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(body).expect("the body is JSON");
    let shown: BTreeSet<String> = parsed["widgets"][0]["properties"]["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_str().unwrap();
            a.strip_prefix("${")
                .and_then(|a| a.strip_suffix(".Arn}"))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(shown, ids);
    // Every ${...} in the body names something the template has.
    for reference in body.split("${").skip(1) {
        let name = reference.split('}').next().unwrap();
        let name = name.split('.').next().unwrap();
        assert!(
            resources(&t).contains_key(name)
                || t["Parameters"].get(name).is_some()
                || name.starts_with("AWS::"),
            "{name}"
        );
    }
    let mut ids = ids;
    for stack in ["templates/authorizer.yaml", "templates/cache-flush.yaml"] {
        ids.extend(alarms(&super::load(stack)).into_iter().map(|(id, _)| id));
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Alarms\n")
        .nth(1)
        .expect("README.md has an Alarms section");
    let section = section.split("\n## ").next().unwrap();
    for id in &ids {
        assert!(
            section.contains(&format!("`{id}`")),
            "README.md, Alarms: {id}"
        );
    }
}
