//! What each function may do: its `UpdateItem` attributes against what the code writes,
//! and the cascade continuation's stream.

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
    super::no_managed_policy_but_xray(role);
    let text = serde_yaml::to_string(role).unwrap();
    assert!(
        !text.contains("'*'") && !text.contains("Resource: '*'"),
        "{text}"
    );
}
