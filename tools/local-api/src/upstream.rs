//! A service of the user's, in any language, behind a routes document: what API Gateway's
//! HTTP proxy integration does with this authorizer in front. A refused request never
//! reaches the service; an allowed one goes on unchanged (method, path, query, body and
//! headers) but for `x-api-key`, which is dropped, and the identity, which replaces any
//! `x-keyauth-*` header the client sent. The service's answer comes back unchanged.

use crate::gate::Gate;
use crate::{API_KEY, gateway_answer, header_text};
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, Response};
use keyauth::domain::error::ErrorChain;
use keyauth::edge::context::{identity_headers, identity_headers_of};
use keyauth::emulation::events::GatewayRequest;
use keyauth::emulation::gateway_responses as gateway;
use keyauth::store::VerifyStore;
use std::time::Duration;

/// API Gateway's longest integration timeout by default (29 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(29);

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1), and the ones
/// the HTTP client sets itself.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The service and the authorizer in front of it.
pub struct Upstream {
    pub(crate) gate: Gate,
    base: String,
    client: reqwest::Client,
}

impl Upstream {
    pub(crate) fn new(gate: Gate, url: &str, timeout: Duration) -> Self {
        Self {
            gate,
            base: url.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .timeout(timeout)
                // A proxy hands a redirect back to its client; it never follows one.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client with a timeout builds"),
        }
    }

    /// Whether the document has a route for this request.
    pub(crate) fn serves(&self, request: &GatewayRequest) -> bool {
        let table = self.gate.settings().routes.table();
        table.find(request.method(), request.path()).is_some()
    }

    /// Authorizes the request and, if allowed, forwards it.
    pub(crate) async fn forward(
        &self,
        store: &dyn VerifyStore,
        request: &GatewayRequest,
        parts: &Parts,
        body: Bytes,
    ) -> Response<Body> {
        let api_key = header_text(&parts.headers, API_KEY);
        let decision = match self.gate.authorize(store, request, api_key).await {
            Ok(decision) => decision,
            Err(refusal) => return refusal,
        };
        let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let mut outgoing = self
            .client
            .request(
                parts.method.clone(),
                format!("{}{path_and_query}", self.base),
            )
            .body(body);
        for (name, value) in &parts.headers {
            let name = name.as_str();
            let dropped = name == API_KEY
                || name.starts_with(identity_headers::PREFIX)
                || HOP_BY_HOP.contains(&name);
            if !dropped {
                outgoing = outgoing.header(name, value);
            }
        }
        for (name, value) in identity_headers_of(&decision.context) {
            outgoing = outgoing.header(name, value);
        }
        match outgoing.send().await {
            Ok(answer) => relay(answer).await,
            Err(e) if e.is_timeout() => gateway_answer(&gateway::INTEGRATION_TIMEOUT),
            Err(e) => {
                tracing::warn!(error = %ErrorChain(&e), "the upstream service failed");
                gateway_answer(&gateway::INTEGRATION_FAILURE)
            }
        }
    }
}

/// The service's answer, as it gave it.
async fn relay(answer: reqwest::Response) -> Response<Body> {
    let mut out = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            out = out.header(HeaderName::clone(name), value.clone());
        }
    }
    match answer.bytes().await {
        Ok(bytes) => out
            .body(Body::from(bytes))
            .expect("the service's headers are valid"),
        Err(e) if e.is_timeout() => gateway_answer(&gateway::INTEGRATION_TIMEOUT),
        Err(e) => {
            tracing::warn!(error = %ErrorChain(&e), "the upstream service's answer was cut off");
            gateway_answer(&gateway::INTEGRATION_FAILURE)
        }
    }
}
