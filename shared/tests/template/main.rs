//! `template.yaml` against the code: every function, route, authorizer reference, gateway
//! response and table must match the route table, `functions/` and the store's schema.
//! cfn-lint and `sam validate` check the template's syntax; they do not check these links
//! (cfn-lint misses a misspelled `!GetAtt X.Arn` inside an authorizer's `FunctionArn`).

use keyauth::domain::routes::Function;
use keyauth::store::dynamo::{CREATOR_INDEX, ID_INDEX, SUBJECT_INDEX};
use serde_yaml::Value;
use serde_yaml::value::TaggedValue;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod alarms;
mod api;
mod doc_snippets;
mod edge;
mod examples;
mod iam;
mod key_changes;
mod observability;
mod stacks;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A YAML file of the repository, by its path from the root.
pub fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

pub fn template() -> Value {
    load("template.yaml")
}

pub fn resources(t: &Value) -> &serde_yaml::Mapping {
    t["Resources"].as_mapping().unwrap()
}

pub fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(t) => {
            let TaggedValue { tag: t_tag, value } = t.as_ref();
            (t_tag == tag).then_some(value)
        }
        _ => None,
    }
}

/// The statements of a policy that hold whatever the parameters (no `!If`).
pub fn unconditional_statements(policy: &Value) -> Vec<Value> {
    policy["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|statement| tagged(statement, "!If").is_none())
        .cloned()
        .collect()
}

/// A role of our own holds no managed policy but X-Ray's write-only one, and that only with
/// tracing on (Lambda refuses an active-tracing function whose role cannot write traces).
pub fn no_managed_policy_but_xray(role: &Value) {
    let Some(managed) = role.get("ManagedPolicyArns") else {
        return;
    };
    let choice = tagged(managed, "!If").expect("managed policies only under a condition");
    assert_eq!(choice[0], "TracingOn");
    let arns = choice[1].as_sequence().unwrap();
    assert_eq!(arns.len(), 1);
    assert_eq!(
        tagged(&arns[0], "!Sub").unwrap(),
        "arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"
    );
    assert_eq!(tagged(&choice[2], "!Ref").unwrap(), "AWS::NoValue");
}

/// Lambda functions in the template: logical id → binary name.
pub fn functions(t: &Value) -> Vec<(String, String)> {
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
    assert_eq!(
        retention["Default"],
        keyauth::domain::audit::DEFAULT_RETENTION_DAYS
    );
    assert_eq!(
        retention["MaxValue"],
        keyauth::domain::audit::MAX_RETENTION_DAYS
    );
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

/// Every URL the stack outputs is built with `${AWS::URLSuffix}`, so it holds in every
/// partition (`amazonaws.com.cn` in China), never a hard-coded domain.
#[test]
fn output_urls_hold_in_every_partition() {
    let t = template();
    let outputs = t["Outputs"].as_mapping().unwrap();
    let mut urls = 0;
    for (name, output) in outputs {
        let Some(value) = tagged(&output["Value"], "!Sub").and_then(Value::as_str) else {
            continue;
        };
        if value.contains("execute-api") {
            urls += 1;
            assert!(
                value.contains("${AWS::URLSuffix}") && !value.contains("amazonaws.com"),
                "{name:?}: {value}"
            );
        }
    }
    assert!(urls >= 2, "ApiUrl and SecretScanningUrl: {urls}");
}
