//! IAM policies for API Gateway REST authorizers.
//!
//! API Gateway caches an authorizer's policy per identity source (the key) and reuses it
//! for *every* route, so a policy naming only the method ARN being authorized would deny
//! the key's other routes from the cache. Instead the policy covers every route the key's
//! scopes allow, and denies what those patterns reach beyond them (`plan`).

mod overlap;
pub mod plan;

/// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`, split; borrows
/// the event's ARN, so a refused request allocates nothing for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn<'a> {
    /// Everything up to and including the account: `arn:aws:execute-api:eu-west-1:123456789012`.
    base: &'a str,
    api_id: &'a str,
    stage: &'a str,
    method: &'a str,
    /// The rest of the resource, without its leading `/`.
    path: &'a str,
}

/// A `methodArn` that is not an `execute-api` method ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an execute-api method ARN")]
pub struct BadMethodArn;

impl<'a> MethodArn<'a> {
    /// Splits an ARN; anything but an `execute-api` method ARN is refused.
    pub fn parse(arn: &'a str) -> Result<Self, BadMethodArn> {
        let mut parts = arn.splitn(6, ':');
        let mut part = || parts.next().ok_or(BadMethodArn);
        let (arn_lit, partition, service) = (part()?, part()?, part()?);
        let (region, account, resource) = (part()?, part()?, part()?);
        if arn_lit != "arn" || service != "execute-api" || partition.is_empty() {
            return Err(BadMethodArn);
        }
        let mut pieces = resource.splitn(4, '/');
        let (Some(api_id), Some(stage), Some(method)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(BadMethodArn);
        };
        if [region, account, api_id, stage, method]
            .iter()
            .any(|p| p.is_empty())
        {
            return Err(BadMethodArn);
        }
        Ok(Self {
            // The resource is the ARN's tail, after the fifth colon.
            base: &arn[..arn.len() - resource.len() - 1],
            api_id,
            stage,
            method,
            path: pieces.next().unwrap_or(""),
        })
    }

    /// The API and stage this ARN is on: `arn:…:{apiId}/{stage}`, what a policy's
    /// resources start with.
    pub fn stage(&self) -> String {
        format!("{}:{}/{}", self.base, self.api_id, self.stage)
    }

    /// The HTTP method called.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path called, without its leading `/`.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// Every method and path of this API and stage.
    pub fn whole_stage(&self) -> String {
        format!("{}:{}/{}/*", self.base, self.api_id, self.stage)
    }
}

/// A statement's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of `execute-api:Invoke` on a list of resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Allow or Deny.
    pub effect: Effect,
    /// Method ARN patterns (`*` for path parameters).
    pub resources: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/keys/key_1";

    #[test]
    fn parses_method_arns() {
        let arn = MethodArn::parse(ARN).unwrap();
        assert_eq!(arn.method, "GET");
        assert_eq!(arn.path, "keys/key_1");
        assert_eq!(arn.base, "arn:aws:execute-api:eu-west-1:123456789012");
        assert_eq!(
            arn.stage(),
            "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod"
        );
        let china = "arn:aws-cn:execute-api:cn-north-1:1:api/dev/POST/products";
        assert!(
            MethodArn::parse(china)
                .unwrap()
                .whole_stage()
                .starts_with("arn:aws-cn:")
        );
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1:1:function/x",
            "arn:aws:execute-api:eu-west-1:1:api",
            "arn:aws:execute-api:eu-west-1:1:api/prod",
            "arn:aws:execute-api::1:api/prod/GET/x",
            "not an arn",
        ] {
            assert!(MethodArn::parse(bad).is_err(), "{bad}");
        }
    }
}
