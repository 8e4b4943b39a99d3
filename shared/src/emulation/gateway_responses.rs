//! What API Gateway itself answers before a function runs, as `template.yaml` configures
//! it (GatewayResponses) and the local server reproduces it. A test holds the two together.

/// One gateway response: its status, our error code, and API Gateway's own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayResponse {
    /// The GatewayResponses key in `template.yaml`.
    pub kind: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// Our `error.code`.
    pub code: &'static str,
    /// `$context.error.messageString` as API Gateway fills it in (`None` renders `null`).
    pub message: Option<&'static str>,
}

/// No usable key: the authorizer answered `Unauthorized`, or the header is missing.
pub const UNAUTHORIZED: GatewayResponse = GatewayResponse {
    kind: "UNAUTHORIZED",
    status: 401,
    code: "unauthorized",
    message: Some("Unauthorized"),
};

/// ACCESS_DENIED's `error.code`: the authorizer context's `denyCode`
/// ([`crate::edge::context::context_keys::DENY_CODE`]).
const DENY_CODE_VARIABLE: &str = "$context.authorizer.denyCode";

/// The policy has no Allow for the route (API Gateway's wording), or denies it.
pub const ACCESS_DENIED: GatewayResponse = GatewayResponse {
    kind: "ACCESS_DENIED",
    status: 403,
    code: DENY_CODE_VARIABLE,
    message: Some("User is not authorized to access this resource"),
};

/// The policy explicitly denies the route.
pub const ACCESS_DENIED_EXPLICIT: GatewayResponse = GatewayResponse {
    message: Some("User is not authorized to access this resource with an explicit deny"),
    ..ACCESS_DENIED
};

/// No such path or method on the API.
pub const MISSING_AUTHENTICATION_TOKEN: GatewayResponse = GatewayResponse {
    kind: "MISSING_AUTHENTICATION_TOKEN",
    status: 404,
    code: "not_found",
    message: Some("Missing Authentication Token"),
};

/// The authorizer failed (store down, timeout): fail closed.
pub const AUTHORIZER_FAILURE: GatewayResponse = GatewayResponse {
    kind: "AUTHORIZER_FAILURE",
    status: 500,
    code: "internal_error",
    message: None,
};

/// The request is over API Gateway's payload limit.
pub const REQUEST_TOO_LARGE: GatewayResponse = GatewayResponse {
    kind: "REQUEST_TOO_LARGE",
    status: 413,
    code: "payload_too_large",
    message: Some("Request Too Long"),
};

/// The service behind an HTTP proxy integration cannot be reached or fails to answer
/// (the local server's `--upstream`); not one of this API's own answers.
pub const INTEGRATION_FAILURE: GatewayResponse = GatewayResponse {
    kind: "INTEGRATION_FAILURE",
    status: 502,
    code: "bad_gateway",
    message: Some("Internal server error"),
};

/// The service behind an HTTP proxy integration answers too late.
pub const INTEGRATION_TIMEOUT: GatewayResponse = GatewayResponse {
    kind: "INTEGRATION_TIMEOUT",
    status: 504,
    code: "gateway_timeout",
    message: Some("Endpoint request timed out"),
};

/// Every response `template.yaml` declares.
pub const ALL: [GatewayResponse; 5] = [
    UNAUTHORIZED,
    ACCESS_DENIED,
    MISSING_AUTHENTICATION_TOKEN,
    AUTHORIZER_FAILURE,
    REQUEST_TOO_LARGE,
];

const MESSAGE_VARIABLE: &str = "$context.error.messageString";

impl GatewayResponse {
    /// The mapping template `template.yaml` must declare for this response.
    pub fn template(&self) -> String {
        format!(
            r#"{{"message":{MESSAGE_VARIABLE},"error":{{"code":"{}","message":{MESSAGE_VARIABLE}}}}}"#,
            self.code
        )
    }

    /// The body API Gateway sends: the template with the message filled in.
    pub fn body(&self) -> String {
        self.body_with(None)
    }

    /// The same, with the authorizer's `denyCode` (API Gateway renders a missing one empty).
    pub fn body_with(&self, deny_code: Option<&str>) -> String {
        let message = serde_json::to_string(&self.message).expect("a string serialises");
        self.template()
            .replace(MESSAGE_VARIABLE, &message)
            .replace(DENY_CODE_VARIABLE, deny_code.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_in_our_error_shape() {
        for response in ALL.iter().chain([&ACCESS_DENIED_EXPLICIT]) {
            let body: serde_json::Value =
                serde_json::from_str(&response.body_with(Some("forbidden"))).unwrap();
            let code = if response.kind == "ACCESS_DENIED" {
                "forbidden"
            } else {
                response.code
            };
            assert_eq!(body["error"]["code"], code);
            assert_eq!(body["message"], body["error"]["message"]);
        }
        let limited: serde_json::Value =
            serde_json::from_str(&ACCESS_DENIED_EXPLICIT.body_with(Some("rate_limited"))).unwrap();
        assert_eq!(limited["error"]["code"], "rate_limited");
        let body: serde_json::Value = serde_json::from_str(&UNAUTHORIZED.body()).unwrap();
        assert_eq!(body["message"], "Unauthorized");
    }
}
