//! Configuration from the environment, read once in `main`.

use crate::domain::audit::{DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, Retention};
use crate::domain::key_format::{KeyPrefix, PrefixError};
use std::time::Duration;

/// Keys table when `KEYS_TABLE` is unset.
pub const DEFAULT_KEYS_TABLE: &str = "api-keys";
/// Audit events table when `EVENTS_TABLE` is unset.
pub const DEFAULT_EVENTS_TABLE: &str = "api-key-events";
/// Products table when `PRODUCTS_TABLE` is unset.
pub const DEFAULT_PRODUCTS_TABLE: &str = "products";
/// Usage counters table (credits, rate-limit windows) when `USAGE_TABLE` is unset.
pub const DEFAULT_USAGE_TABLE: &str = "api-key-usage";
/// Key prefix when `KEY_PREFIX` is unset.
pub const DEFAULT_KEY_PREFIX: &str = "sk_live";

pub use crate::store::dynamo::TableNames;

/// A function's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where things are stored.
    pub tables: TableNames,
    /// The deployment's key prefix.
    pub key_prefix: KeyPrefix,
    /// Open the DynamoDB connection during init (`INIT_WARM_UP`, on unless `off`).
    pub init_warm_up: bool,
    /// How long audit events are kept (`AUDIT_RETENTION_DAYS`).
    pub audit_retention: Retention,
    /// Seconds API Gateway caches the authorizer's decisions (`AUTHORIZER_CACHE_TTL`, the
    /// template's `AuthorizerCacheTtl`); above 0, usage limits cannot hold and are refused.
    pub authorizer_cache_ttl: u64,
    /// How long a request walks a cascade before handing the rest on (`CASCADE_BUDGET_MS`,
    /// default [`DEFAULT_CASCADE_BUDGET_MS`]); leaves the 10 s timeout room for the calls in
    /// flight, the handoff and the answer.
    pub cascade_budget: Duration,
    /// Where an authorizer's routes document comes from.
    pub routes: RoutesSource,
}

/// Where an authorizer's routes document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutesSource {
    /// Neither variable set: this API's own routes.
    OwnApi,
    /// The document itself, YAML or JSON (`ROUTES_DOCUMENT`).
    Inline(String),
    /// An S3 object, read once at start-up (`ROUTES_DOCUMENT_BUCKET`, `ROUTES_DOCUMENT_KEY`,
    /// and `ROUTES_DOCUMENT_VERSION` to pin one version).
    Object(RoutesObject),
}

/// The S3 object a routes document is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutesObject {
    /// Its bucket.
    pub bucket: String,
    /// Its key in the bucket.
    pub key: String,
    /// A version id: that version, not the newest, is read.
    pub version: Option<String>,
}

impl std::fmt::Display for RoutesObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)?;
        match &self.version {
            Some(version) => write!(f, " (version {version})"),
            None => Ok(()),
        }
    }
}

/// The default of `CASCADE_BUDGET_MS`.
pub const DEFAULT_CASCADE_BUDGET_MS: u64 = 5000;

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `KEY_PREFIX` is not a valid prefix.
    #[error("KEY_PREFIX: {0}")]
    Prefix(#[from] PrefixError),
    /// `AUDIT_RETENTION_DAYS` is not a whole number of days in range.
    #[error("AUDIT_RETENTION_DAYS: must be a whole number from 1 to {MAX_RETENTION_DAYS}")]
    Retention,
    /// `AUTHORIZER_CACHE_TTL` is not a whole number of seconds.
    #[error("AUTHORIZER_CACHE_TTL: must be a whole number of seconds")]
    CacheTtl,
    /// `CASCADE_BUDGET_MS` is not a whole number of milliseconds.
    #[error("CASCADE_BUDGET_MS: must be a whole number of milliseconds")]
    CascadeBudget,
    /// The routes document's variables name no one source.
    #[error("{0}")]
    RoutesSource(&'static str),
}

impl Config {
    /// `KEYS_TABLE`, `EVENTS_TABLE`, `PRODUCTS_TABLE`, `USAGE_TABLE`, `KEY_PREFIX`, `INIT_WARM_UP`,
    /// `AUDIT_RETENTION_DAYS`, `AUTHORIZER_CACHE_TTL`, `CASCADE_BUDGET_MS`, `ROUTES_DOCUMENT`,
    /// `ROUTES_DOCUMENT_BUCKET`, `ROUTES_DOCUMENT_KEY`, `ROUTES_DOCUMENT_VERSION`, with local
    /// defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The same, from any lookup (tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let or = |name: &str, default: &str| {
            get(name)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Ok(Self {
            tables: TableNames {
                keys: or("KEYS_TABLE", DEFAULT_KEYS_TABLE),
                events: or("EVENTS_TABLE", DEFAULT_EVENTS_TABLE),
                products: or("PRODUCTS_TABLE", DEFAULT_PRODUCTS_TABLE),
                usage: or("USAGE_TABLE", DEFAULT_USAGE_TABLE),
            },
            key_prefix: KeyPrefix::new(&or("KEY_PREFIX", DEFAULT_KEY_PREFIX))?,
            init_warm_up: !matches!(
                or("INIT_WARM_UP", "on").to_ascii_lowercase().as_str(),
                "off" | "false" | "0"
            ),
            audit_retention: or("AUDIT_RETENTION_DAYS", &DEFAULT_RETENTION_DAYS.to_string())
                .parse()
                .ok()
                .and_then(Retention::days)
                .ok_or(ConfigError::Retention)?,
            authorizer_cache_ttl: or("AUTHORIZER_CACHE_TTL", "0")
                .parse()
                .map_err(|_| ConfigError::CacheTtl)?,
            cascade_budget: or("CASCADE_BUDGET_MS", &DEFAULT_CASCADE_BUDGET_MS.to_string())
                .parse()
                .map(Duration::from_millis)
                .map_err(|_| ConfigError::CascadeBudget)?,
            routes: routes_source(&get)?,
        })
    }
}

/// One source or none: a document inline and in S3 at once would leave it unclear which
/// one is enforced, and a bucket without a key (or a version without either) is a typo.
fn routes_source(get: &impl Fn(&str) -> Option<String>) -> Result<RoutesSource, ConfigError> {
    let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let inline = set("ROUTES_DOCUMENT");
    let (bucket, key) = (set("ROUTES_DOCUMENT_BUCKET"), set("ROUTES_DOCUMENT_KEY"));
    let version = set("ROUTES_DOCUMENT_VERSION");
    match (inline, bucket, key) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ConfigError::RoutesSource(
            "ROUTES_DOCUMENT and ROUTES_DOCUMENT_BUCKET/ROUTES_DOCUMENT_KEY: set one source, not both",
        )),
        (None, Some(bucket), Some(key)) => Ok(RoutesSource::Object(RoutesObject {
            bucket,
            key,
            version,
        })),
        (None, Some(_), None) | (None, None, Some(_)) => Err(ConfigError::RoutesSource(
            "ROUTES_DOCUMENT_BUCKET and ROUTES_DOCUMENT_KEY: set both or neither",
        )),
        _ if version.is_some() => Err(ConfigError::RoutesSource(
            "ROUTES_DOCUMENT_VERSION: names a version of the S3 object ROUTES_DOCUMENT_BUCKET and ROUTES_DOCUMENT_KEY name; set them too",
        )),
        (Some(document), None, None) => Ok(RoutesSource::Inline(document)),
        (None, None, None) => Ok(RoutesSource::OwnApi),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.tables.keys, DEFAULT_KEYS_TABLE);
        assert_eq!(config.key_prefix.as_str(), DEFAULT_KEY_PREFIX);
        let config =
            Config::from_lookup(|n| (n == "KEY_PREFIX").then(|| "sk_test".into())).unwrap();
        assert_eq!(config.key_prefix.as_str(), "sk_test");
        assert!(Config::from_lookup(|n| (n == "KEY_PREFIX").then(|| "Bad-Prefix".into())).is_err());
        assert!(config.init_warm_up);
        let off = Config::from_lookup(|n| (n == "INIT_WARM_UP").then(|| "OFF".into())).unwrap();
        assert!(!off.init_warm_up);
        assert_eq!(config.audit_retention, Retention::default());
        assert_eq!(config.authorizer_cache_ttl, 0);
        let cached =
            |v: &str| Config::from_lookup(|n| (n == "AUTHORIZER_CACHE_TTL").then(|| v.into()));
        assert_eq!(cached("300").unwrap().authorizer_cache_ttl, 300);
        assert!(matches!(cached("soon"), Err(ConfigError::CacheTtl)));
        assert_eq!(config.cascade_budget, Duration::from_millis(5000));
        let budget =
            |v: &str| Config::from_lookup(|n| (n == "CASCADE_BUDGET_MS").then(|| v.into()));
        assert_eq!(
            budget("250").unwrap().cascade_budget,
            Duration::from_millis(250)
        );
        assert!(matches!(budget("5s"), Err(ConfigError::CascadeBudget)));
        let days =
            |v: &str| Config::from_lookup(|n| (n == "AUDIT_RETENTION_DAYS").then(|| v.into()));
        assert_eq!(
            days("30").unwrap().audit_retention,
            Retention::days(30).unwrap()
        );
        for bad in ["0", "3651", "-1", "1.5", "year"] {
            assert!(matches!(days(bad), Err(ConfigError::Retention)), "{bad}");
        }
    }

    fn routes(vars: &[(&str, &str)]) -> Result<RoutesSource, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .map(|config| config.routes)
    }

    #[test]
    fn the_routes_document_has_one_source_or_none() {
        assert_eq!(routes(&[]).unwrap(), RoutesSource::OwnApi);
        assert_eq!(
            routes(&[("ROUTES_DOCUMENT", " ")]).unwrap(),
            RoutesSource::OwnApi
        );
        assert_eq!(
            routes(&[("ROUTES_DOCUMENT", "routes: []")]).unwrap(),
            RoutesSource::Inline("routes: []".into())
        );
        let object = routes(&[
            ("ROUTES_DOCUMENT_BUCKET", "b"),
            ("ROUTES_DOCUMENT_KEY", "orders/routes.yaml"),
            ("ROUTES_DOCUMENT_VERSION", "v1"),
        ])
        .unwrap();
        let RoutesSource::Object(object) = object else {
            panic!("{object:?}")
        };
        assert_eq!(object.to_string(), "s3://b/orders/routes.yaml (version v1)");
        for wrong in [
            &[
                ("ROUTES_DOCUMENT", "routes: []"),
                ("ROUTES_DOCUMENT_BUCKET", "b"),
            ][..],
            &[
                ("ROUTES_DOCUMENT", "routes: []"),
                ("ROUTES_DOCUMENT_KEY", "k"),
            ],
            &[("ROUTES_DOCUMENT_BUCKET", "b")],
            &[("ROUTES_DOCUMENT_KEY", "k")],
            &[("ROUTES_DOCUMENT_VERSION", "v1")],
            &[
                ("ROUTES_DOCUMENT", "routes: []"),
                ("ROUTES_DOCUMENT_VERSION", "v1"),
            ],
        ] {
            assert!(
                matches!(routes(wrong), Err(ConfigError::RoutesSource(_))),
                "{wrong:?}"
            );
        }
    }
}
