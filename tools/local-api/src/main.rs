//! `cargo run -p local-api`: the whole API on localhost, in front of the real authorizer
//! and handlers. In-memory store by default; DynamoDB when `AWS_ENDPOINT_URL_DYNAMODB` is
//! set (tables are created if missing) or `--store dynamodb` is given.

use clap::{Parser, ValueEnum};
use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::error::ErrorChain;
use keyauth::domain::subject::Subject;
use keyauth::edge::authorizer::ProtectedRoutes;
use keyauth::edge::config::Config;
use keyauth::operations::bootstrap::{admin_key, issue_operator_key};
use keyauth::store::Store;
use keyauth::store::dynamo::DynamoStore;
use keyauth::store::memory::MemoryStore;
use keyauth::store::tables::ensure_tables;
use local_api::LocalApi;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// The start-up admin key works for 12 hours.
const ADMIN_KEY_SECONDS: i64 = 12 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    /// DynamoDB if AWS_ENDPOINT_URL_DYNAMODB is set, otherwise in-memory.
    Auto,
    Memory,
    Dynamodb,
}

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Serve the API-key API on localhost the way API Gateway does"
)]
struct Args {
    /// Address to bind (loopback by default; another address is warned about: the server
    /// prints an admin key and has no TLS).
    #[arg(long, env = "LOCAL_API_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to bind; 0 picks a free one.
    #[arg(long, env = "LOCAL_API_PORT", default_value_t = 3000)]
    port: u16,
    #[arg(long, value_enum, default_value_t = StoreKind::Auto)]
    store: StoreKind,
    /// Cache the authorizer's policy per x-api-key value for this many seconds, as API
    /// Gateway does with the template's AuthorizerCacheTtl (0: off; at most 3600).
    #[arg(long, env = "LOCAL_API_AUTHORIZER_CACHE_TTL", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=local_api::authorizer_cache::MAX_TTL_SECONDS))]
    authorizer_cache_ttl: u64,
    /// GitHub's secret-scanning public keys, for POST /secret-scanning/github: https:// or
    /// file:// (fetched when the first report arrives).
    #[arg(long, env = "SECRET_SCANNING_KEYS_URL", default_value = keyauth::edge::leaks::DEFAULT_KEYS_URL)]
    secret_scanning_keys_url: String,
    /// With `--store dynamodb` and no endpoint override, the tables are real AWS tables:
    /// the start-up admin key (every scope) would be written there. Refused without this.
    #[arg(long)]
    allow_aws: bool,
    /// A routes document (YAML or JSON) whose routes are served in front of `--upstream`,
    /// beside this API's own; the admin key also gets every scope it names.
    #[arg(long, env = "LOCAL_API_ROUTES", requires = "upstream")]
    routes: Option<std::path::PathBuf>,
    /// The HTTP service (any language) that allowed requests to the document's routes go
    /// to, e.g. http://127.0.0.1:8000.
    #[arg(long, env = "LOCAL_API_UPSTREAM", requires = "routes")]
    upstream: Option<String>,
    /// Seconds the upstream service has to answer before a 504.
    #[arg(long, default_value_t = local_api::upstream::DEFAULT_TIMEOUT.as_secs())]
    upstream_timeout: u64,
}

/// Whether `host` names only this machine (an address or `localhost`).
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An upstream URL the server can forward to: `http://` or `https://` and a host.
fn upstream_url_ok(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).ok();
    let ok = parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--upstream {url:?}: give an http:// or https:// URL"
        ))
    }
}

/// A start-up failure as one line: what failed, then the chain of causes.
fn failed<E: std::error::Error + 'static>(what: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{what}: {}", ErrorChain(&e))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    keyauth::edge::telemetry::init_for_tool();
    let args = Args::parse();
    let config = Config::from_env()?;
    // The endpoint the SDK would use instead of AWS's, by its own precedence.
    let local_endpoint = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    let use_dynamo = match args.store {
        StoreKind::Auto => local_endpoint.is_some(),
        StoreKind::Memory => false,
        StoreKind::Dynamodb => true,
    };
    if use_dynamo && local_endpoint.is_none() && !args.allow_aws {
        return Err(
            "refusing to create an admin key with every scope in real AWS tables \
             (no AWS_ENDPOINT_URL_DYNAMODB): set the endpoint of a local DynamoDB, or pass \
             --allow-aws if that is what you mean"
                .into(),
        );
    }
    if !is_loopback(&args.host) {
        eprintln!(
            "warning: listening on {} beyond this machine: the API has no TLS here, and anyone \
             who reaches it can use keys sent to it",
            args.host
        );
    }
    let (store, store_name): (Arc<dyn Store>, String) = if use_dynamo {
        let store = DynamoStore::from_env(config.tables.clone())
            .await
            .with_retention(config.audit_retention);
        if let Some(endpoint) = &local_endpoint {
            ensure_tables(store.client(), &config.tables)
                .await
                .map_err(failed(&format!("could not create tables at {endpoint}")))?;
        }
        let name = format!(
            "DynamoDB {} (tables {}, {})",
            local_endpoint.as_deref().unwrap_or("(AWS)"),
            config.tables.keys,
            config.tables.products
        );
        (Arc::new(store), name)
    } else {
        (
            Arc::new(MemoryStore::with_retention(config.audit_retention)),
            "in-memory".to_owned(),
        )
    };

    // The protected service's routes, checked before anything is served.
    let protected = match (&args.routes, &args.upstream) {
        (Some(file), Some(url)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("--routes {}: {e}", file.display()))?;
            let cached = args.authorizer_cache_ttl > 0;
            let routes = ProtectedRoutes::load(&text, cached)
                .map_err(|e| format!("--routes {}: {e}", file.display()))?;
            upstream_url_ok(url)?;
            Some((routes, url.clone()))
        }
        _ => None,
    };

    // The first key: every scope (the document's too), for subject "admin". Printed once,
    // never stored in clear, and short-lived, since a server pointed at a real table leaves
    // it there.
    let now = now_ms();
    let mut first = admin_key(
        "local admin",
        Subject::trusted("admin"),
        Some(now + ADMIN_KEY_SECONDS * 1000),
    );
    if let Some((routes, _)) = &protected {
        let new: Vec<_> = routes
            .scopes()
            .into_iter()
            .filter(|s| !first.scopes.contains(s))
            .collect();
        first.scopes.extend(new);
    }
    let admin = issue_operator_key(
        &*store,
        &config.key_prefix,
        &Caller::operator("local-api"),
        first,
        now,
    )
    .await
    .map_err(failed("could not create the admin key"))?;
    let secret = admin.secret.into_inner();

    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let mut banner = String::new();
    let _ = writeln!(banner, "admin key: {secret}");
    let _ = writeln!(
        banner,
        "API on {url} ({store_name}); the admin key expires in 12 hours"
    );
    let _ = writeln!(banner);
    let _ = writeln!(banner, "Try it:");
    let _ = writeln!(banner, "  export KEY={secret}");
    let _ = writeln!(
        banner,
        "  curl -s -X POST {url}/keys -H \"x-api-key: $KEY\" -H 'content-type: application/json' \\\n    -d '{{\"name\":\"shop\",\"subject\":\"user_1\",\"scopes\":[\"products:write\"]}}'"
    );
    let _ = writeln!(banner, "  curl -s {url}/keys -H \"x-api-key: $KEY\"");
    let _ = writeln!(
        banner,
        "  curl -s -X POST {url}/products -H \"x-api-key: $KEY\" -H 'content-type: application/json' -d '{{\"name\":\"Widget\",\"price\":19.99}}'"
    );
    let _ = writeln!(
        banner,
        "  curl -s -X POST {url}/keys/verify -H \"x-api-key: $KEY\" -H 'content-type: application/json' -d \"{{\\\"key\\\":\\\"$KEY\\\"}}\""
    );
    if let Some((routes, upstream)) = &protected {
        let example = &routes.table().routes()[0];
        let _ = writeln!(
            banner,
            "\n{} routes of {} in front of {upstream}; for example:",
            routes.table().routes().len(),
            args.routes
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
        let _ = writeln!(
            banner,
            "  curl -s -X POST {url}/keys -H \"x-api-key: $KEY\" -H 'content-type: application/json' \\\n    -d '{{\"name\":\"client\",\"scopes\":[\"{}\"]}}'",
            example.scope.as_str()
        );
    }
    if args.authorizer_cache_ttl > 0 {
        let _ = writeln!(
            banner,
            "authorizer cache: {} s per key, flushed when a key is revoked, updated or rerolled",
            args.authorizer_cache_ttl
        );
    }
    // Not println!: it panics when stdout's reader has gone (`local-api | head -2`), and a
    // server must keep serving whoever reads its output.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);

    let signing_keys = keyauth::edge::leaks::SigningKeys::new(&args.secret_scanning_keys_url)?;
    let mut api = LocalApi::new(store, config)
        .with_authorizer_cache(Duration::from_secs(args.authorizer_cache_ttl))
        .with_signing_keys(signing_keys);
    if let Some((routes, upstream)) = protected {
        let timeout = Duration::from_secs(args.upstream_timeout);
        api = api.with_upstream(routes, &upstream, timeout);
    }
    tokio::spawn(api.clone().continue_cascades());
    local_api::serve::serve(listener, api.router(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
