//! `events/expectations.json`: the expected outcome of every file in `events/`, read into
//! [`Expect`], and the files themselves.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub(crate) enum Expect {
    /// HTTP status from a `lambda_http` function, and a part of its JSON body.
    Status(u16, Option<Value>),
    /// REST authorizer: Allow policy for this principal covering the event's own method ARN.
    Allow(String),
    /// Authorizer error "Unauthorized" (API Gateway's 401).
    Unauthorized,
    /// HTTP API simple response.
    Simple(bool),
    /// The publisher's answer to a batch of the keys table's stream: how many events it put
    /// on the key-changes bus.
    Published(usize),
    /// The flush function's answer to an event of that bus: whether it flushed the stage's
    /// authorizer cache.
    Flushed(bool),
    /// The cascade continuation's answer: how many roots the batch named.
    Continued(usize),
}
use Expect::*;

/// One entry of `events/expectations.json`; an unknown field is an error, so a typo cannot
/// quietly drop a check.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Entry {
    status: Option<u16>,
    body: Option<Value>,
    authorizer: Option<String>,
    principal_id: Option<String>,
    is_authorized: Option<bool>,
    published: Option<usize>,
    flushed: Option<bool>,
    roots: Option<usize>,
}

impl Entry {
    fn expect(self, name: &str) -> Expect {
        let Entry {
            status,
            body,
            authorizer,
            principal_id,
            is_authorized,
            published,
            flushed,
            roots,
        } = self;
        let kinds = [
            status.is_some(),
            authorizer.is_some(),
            is_authorized.is_some(),
            published.is_some(),
            flushed.is_some(),
            roots.is_some(),
        ];
        assert!(
            kinds.iter().filter(|set| **set).count() == 1
                && (body.is_none() || status.is_some())
                && (principal_id.is_none() || authorizer.is_some()),
            "{name}: an entry has one of status (with body), authorizer (with principalId), \
             isAuthorized, published, flushed or roots"
        );
        if let Some(kind) = authorizer {
            return match (kind.as_str(), principal_id) {
                ("Allow", Some(principal)) => Allow(principal),
                ("Unauthorized", None) => Unauthorized,
                _ => panic!("{name}: authorizer is Allow with a principalId or Unauthorized"),
            };
        }
        status
            .map(|status| Status(status, body))
            .or(is_authorized.map(Simple))
            .or(published.map(Published))
            .or(flushed.map(Flushed))
            .or(roots.map(Continued))
            .expect("one kind is set")
    }
}

/// `events/expectations.json`: every event file and its expected outcome.
pub(crate) fn table() -> Vec<(String, Expect)> {
    let path = events_dir().join("expectations.json");
    let raw = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&raw).unwrap();
    let events = doc["events"]
        .as_object()
        .expect("expectations.json: no events object");
    let entry = |name: &str, e: &Value| -> Entry {
        serde_json::from_value(e.clone()).unwrap_or_else(|err| panic!("{name}: {err}"))
    };
    events
        .iter()
        .map(|(name, e)| (name.clone(), entry(name, e).expect(name)))
        .collect()
}

/// Whether `actual` holds all of `part`: objects field by field, anything else equal.
pub(crate) fn contains(actual: &Value, part: &Value) -> bool {
    match (actual, part) {
        (Value::Object(actual), Value::Object(part)) => part
            .iter()
            .all(|(k, v)| actual.get(k).is_some_and(|a| contains(a, v))),
        _ => actual == part,
    }
}

pub(crate) fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

pub(crate) fn all_event_files() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for dir in std::fs::read_dir(events_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                let rel = file.strip_prefix(events_dir()).unwrap();
                found.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}
