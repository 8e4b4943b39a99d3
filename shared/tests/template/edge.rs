//! The optional edge rate limits (`EdgeRateLimits`): a WAF web ACL on this API's stage with
//! rate rules per `x-api-key` value and per client IP, blocking with 429 in the API's error
//! shape, and no sampled requests (they would show the key).

use super::{resources, tagged, template};
use serde_yaml::Value;

fn rule<'a>(acl: &'a Value, name: &str) -> &'a Value {
    acl["Rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|r| r["Name"] == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

#[test]
fn the_web_acl_limits_each_key_and_each_ip_only_when_asked() {
    let t = template();
    assert_eq!(t["Parameters"]["EdgeRateLimits"]["Default"], "off");
    for id in ["EdgeWebAcl", "EdgeWebAclAssociation"] {
        assert_eq!(resources(&t)[id]["Condition"], "EdgeRateLimitsOn", "{id}");
    }
    let acl = &resources(&t)["EdgeWebAcl"]["Properties"];
    assert_eq!(acl["Scope"], "REGIONAL");
    assert!(acl["DefaultAction"].get("Allow").is_some());

    let per_key = &rule(acl, "per-api-key")["Statement"]["RateBasedStatement"];
    assert_eq!(per_key["AggregateKeyType"], "CUSTOM_KEYS");
    let keys = per_key["CustomKeys"].as_sequence().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["Header"]["Name"], "x-api-key");
    assert_eq!(
        tagged(&per_key["Limit"], "!Ref").unwrap(),
        "EdgeKeyRateLimit"
    );
    let per_ip = &rule(acl, "per-client-ip")["Statement"]["RateBasedStatement"];
    assert_eq!(per_ip["AggregateKeyType"], "IP");
    assert_eq!(tagged(&per_ip["Limit"], "!Ref").unwrap(), "EdgeIpRateLimit");
    for name in ["EdgeKeyRateLimit", "EdgeIpRateLimit"] {
        // WAF's smallest rate limit.
        assert!(t["Parameters"][name]["MinValue"].as_u64().unwrap() >= 10);
    }

    // Blocked with 429 and the body the stage's own throttle answers with.
    let throttled = resources(&t)["Api"]["Properties"]["GatewayResponses"]["THROTTLED"]
        ["ResponseTemplates"]["application/json"]
        .as_str()
        .unwrap();
    for name in ["per-api-key", "per-client-ip"] {
        let response = &rule(acl, name)["Action"]["Block"]["CustomResponse"];
        assert_eq!(response["ResponseCode"], 429, "{name}");
        // As every gateway response: never kept by a cache on the way.
        let header = &response["ResponseHeaders"][0];
        assert_eq!(
            (header["Name"].as_str(), header["Value"].as_str()),
            (Some("cache-control"), Some("no-store")),
            "{name}"
        );
        let key = response["CustomResponseBodyKey"].as_str().unwrap();
        let body = &acl["CustomResponseBodies"][key];
        assert_eq!(body["ContentType"], "APPLICATION_JSON");
        let parsed: serde_json::Value =
            serde_json::from_str(body["Content"].as_str().unwrap()).unwrap();
        let code = parsed["error"]["code"].as_str().unwrap();
        assert!(throttled.contains(&format!(r#""code":"{code}""#)), "{name}");
    }

    // Sampled requests would show x-api-key in the console: off, for the ACL and each rule.
    let mut visibility = vec![&acl["VisibilityConfig"]];
    visibility.extend(
        acl["Rules"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|r| &r["VisibilityConfig"]),
    );
    for config in visibility {
        assert_eq!(config["SampledRequestsEnabled"], false);
    }

    let association = &resources(&t)["EdgeWebAclAssociation"]["Properties"];
    let arn = tagged(&association["ResourceArn"], "!Sub").unwrap();
    assert_eq!(
        arn.as_str().unwrap(),
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Api.Stage}"
    );
    assert_eq!(
        tagged(&association["WebACLArn"], "!GetAtt").unwrap(),
        "EdgeWebAcl.Arn"
    );
}
