//! Continuing the cascades a revoke handed on, as the keys table's stream and the
//! `continue-cascade` function do when deployed. Looking for them is a Scan of the keys
//! table, so the server looks soon after a request that may have handed one on, again and
//! again while one waits, and otherwise only every [`IDLE_POLL`] (for one handed on by
//! another process on the same tables, such as `keyctl`, or before a restart): a busy
//! server must not spend its table's capacity on Scans that find nothing.

use crate::LocalApi;
use keyauth::domain::clock::now_ms;
use keyauth::domain::error::ErrorChain;
use keyauth::operations::cascade;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How soon after a revoke that handed a cascade on, and how often while one waits, the
/// server continues it.
pub const CASCADE_POLL: Duration = Duration::from_millis(100);

/// How often it looks when nothing here handed one on.
pub const IDLE_POLL: Duration = Duration::from_secs(5);

/// Whether a function's answer to a revoke or a leak report may have left a cascade handed
/// on: the walk ran out of time (`inProgress`), or the request failed after the walk began.
/// An answer refusing the request's input started none.
pub(crate) fn may_have_handed_on(response: &lambda_http::Response<lambda_http::Body>) -> bool {
    let status = response.status();
    if status.is_server_error() {
        return true;
    }
    if !status.is_success() {
        return false;
    }
    match serde_json::from_slice::<Value>(response.body()) {
        Ok(Value::Object(revoked)) => revoked
            .get("cascade")
            .and_then(|c| c.get("inProgress"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        // A leak report's labels do not say; look anyway (reports are rare).
        _ => true,
    }
}

impl LocalApi {
    /// Continues the cascades requests handed on, for as long as it runs (spawn it beside
    /// the server).
    pub async fn continue_cascades(self) {
        let mut wait = CASCADE_POLL;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.handed_on.notified() => tokio::time::sleep(CASCADE_POLL).await,
            }
            let roots = match self.store.pending_cascades().await {
                Ok(roots) => roots,
                Err(e) => {
                    tracing::warn!(error = %ErrorChain(&e), "could not look for cascades");
                    wait = CASCADE_POLL;
                    continue;
                }
            };
            wait = if roots.is_empty() {
                IDLE_POLL
            } else {
                CASCADE_POLL
            };
            for root in roots {
                let deadline = Instant::now() + self.config.cascade_budget;
                if let Err(e) = cascade::resume(&*self.store, &root, now_ms(), deadline).await {
                    tracing::warn!(error = %ErrorChain(&e), "cascade continuation failed; retried");
                }
            }
        }
    }
}
