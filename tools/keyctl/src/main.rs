//! `keyctl`: create, list, get and revoke API keys directly in the keys table, e.g. to
//! bootstrap the first admin key of a deployment. Uses the standard AWS credential and
//! region chain (and `AWS_ENDPOINT_URL_DYNAMODB` for a local DynamoDB).

use aws_credential_types::provider::ProvideCredentials;
use clap::{Parser, Subcommand};
use keyauth::domain::audit::{MAX_RETENTION_DAYS, Retention};
use keyauth::domain::caller::Caller;
use keyauth::domain::clock::now_ms;
use keyauth::domain::error::{DomainError, ErrorChain};
use keyauth::domain::key_format::KeyPrefix;
use keyauth::domain::limits::Credits;
use keyauth::edge::config::{DEFAULT_KEY_PREFIX, TableNames};
use keyauth::edge::wire::{
    ApiKeyView, CreateKeyRequest, ListParams, MAX_PAGE_SIZE, RevokeKeyRequest, RevokedView,
    parse_key_id,
};
use keyauth::operations;
use keyauth::store::dynamo::{Client, DynamoStore, sdk_config};
use keyauth::store::error::StoreError;
use keyauth::store::tables::ensure_tables;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(version, about = "Operate API keys directly in the keys table")]
struct Cli {
    /// Keys table (the stack's KeysTableName output).
    #[arg(long, env = "KEYS_TABLE", default_value = keyauth::edge::config::DEFAULT_KEYS_TABLE, global = true)]
    table: String,
    /// Audit events table (the stack's EventsTableName output).
    #[arg(long, env = "EVENTS_TABLE", default_value = keyauth::edge::config::DEFAULT_EVENTS_TABLE, global = true)]
    events_table: String,
    /// Days the audit events of the changes keyctl makes are kept (1-3650).
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value_t = keyauth::domain::audit::DEFAULT_RETENTION_DAYS, global = true)]
    audit_retention_days: u32,
    /// Products table (only used by init-tables).
    #[arg(long, env = "PRODUCTS_TABLE", default_value = keyauth::edge::config::DEFAULT_PRODUCTS_TABLE, global = true)]
    products_table: String,
    /// Usage counters table (the stack's UsageTableName output): live credit balances, and
    /// `create --credits`.
    #[arg(long, env = "USAGE_TABLE", default_value = keyauth::edge::config::DEFAULT_USAGE_TABLE, global = true)]
    usage_table: String,
    /// Key prefix of the deployment (the stack's KeyPrefix parameter).
    #[arg(long, env = "KEY_PREFIX", default_value = DEFAULT_KEY_PREFIX, global = true)]
    prefix: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a key and print it with its secret (shown only this once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        subject: String,
        /// Repeat for each scope, e.g. --scope keys:read --scope products:write.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        /// Seconds until the key expires; never when omitted.
        #[arg(long)]
        expires_in: Option<i64>,
        /// Claims as a JSON object, handed to your functions in the authorizer context.
        #[arg(long)]
        claims: Option<String>,
        /// A balance of credits each request spends (see the API reference's usage limits).
        #[arg(long)]
        credits: Option<u64>,
    },
    /// List a subject's keys, newest first (every page).
    List {
        #[arg(long)]
        subject: String,
        /// Include revoked and expired keys.
        #[arg(long)]
        include_invalid: bool,
        /// Only the keys this key id (or operator:<tool>) created.
        #[arg(long)]
        created_by: Option<String>,
    },
    /// Show one key by id.
    Get { id: String },
    /// Revoke a key by id (idempotent).
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
        /// Also revoke every key it created, transitively ("parent revoked").
        #[arg(long)]
        cascade: bool,
    },
    /// Create the keys and products tables if missing (for a local DynamoDB).
    InitTables,
}

#[tokio::main]
async fn main() -> ExitCode {
    keyauth::edge::telemetry::init_for_tool();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keyctl: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes JSON to stdout; a reader that went away (`keyctl list | head`) is not an error.
fn print(value: impl serde::Serialize) -> Result<(), String> {
    let json = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    match writeln!(std::io::stdout().lock(), "{json}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
        _ => Ok(()),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let prefix = KeyPrefix::new(&cli.prefix).map_err(|e| format!("--prefix: {e}"))?;
    let tables = TableNames {
        keys: cli.table.clone(),
        events: cli.events_table.clone(),
        products: cli.products_table.clone(),
        usage: cli.usage_table.clone(),
    };
    let retention = Retention::days(cli.audit_retention_days).ok_or(format!(
        "--audit-retention-days: must be from 1 to {MAX_RETENTION_DAYS}"
    ))?;
    let store = connect(tables.clone()).await?.with_retention(retention);
    let explain = |e: DomainError| explain(e, &cli.table);
    let operator = Caller::operator("keyctl");
    let now = now_ms();
    match cli.command {
        Command::Create {
            name,
            subject,
            scopes,
            description,
            expires_in,
            claims,
            credits,
        } => {
            let claims = claims
                .map(|c| {
                    serde_json::from_str(&c)
                        .map_err(|e| format!("--claims must be a JSON object: {e}"))
                })
                .transpose()?;
            let request = CreateKeyRequest {
                name,
                subject: Some(subject),
                description,
                scopes: Some(scopes),
                claims,
                seconds_until_expiration: expires_in,
                credits: credits.map(|remaining| Credits {
                    remaining,
                    refill: None,
                }),
                ..Default::default()
            };
            let new = request.parse(now).map_err(explain)?;
            let issued =
                operations::bootstrap::issue_operator_key(&store, &prefix, &operator, new, now)
                    .await
                    .map_err(explain)?;
            eprintln!("Store the secret now: it is not shown again.");
            print(ApiKeyView::with_secret(&issued.key, issued.secret, now))
        }
        Command::List {
            subject,
            include_invalid,
            created_by,
        } => {
            if created_by.as_deref() == Some("") {
                return Err("--created-by: give a key id (key_…) or operator:<tool>".into());
            }
            let mut all = Vec::new();
            let mut cursor = None;
            loop {
                let request = ListParams {
                    subject: Some(subject.clone()),
                    limit: Some(MAX_PAGE_SIZE.to_string()),
                    cursor: cursor.take(),
                    include_invalid: Some(include_invalid.to_string()),
                    query: None,
                    created_by: created_by.clone(),
                }
                .parse()
                .map_err(explain)?;
                let page = operations::list::list_keys(&store, &operator, request, now)
                    .await
                    .map_err(explain)?;
                all.extend(page.items.iter().map(|k| ApiKeyView::of(k, now)));
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            print(all)
        }
        Command::Get { id } => {
            let id = parse_key_id(&id).map_err(explain)?;
            let key = operations::get::get_key(&store, &operator, &id, now)
                .await
                .map_err(explain)?;
            print(ApiKeyView::of(&key, now))
        }
        Command::Revoke {
            id,
            reason,
            cascade,
        } => {
            let id = parse_key_id(&id).map_err(explain)?;
            let revocation = RevokeKeyRequest {
                revocation_reason: reason,
                cascade,
            }
            .parse()
            .map_err(explain)?;
            // An operator waits for a cascade to finish, however large.
            let deadline = Instant::now() + Duration::from_secs(24 * 3600);
            let revoked =
                operations::revoke::revoke_key(&store, &operator, &id, revocation, now, deadline)
                    .await
                    .map_err(explain)?;
            print(RevokedView::of(&revoked, now))
        }
        Command::InitTables => {
            ensure_tables(store.client(), &tables)
                .await
                .map_err(|e| ErrorChain(&e).to_string())?;
            print(serde_json::json!({
                "keysTable": tables.keys,
                "eventsTable": tables.events,
                "productsTable": tables.products,
                "usageTable": tables.usage
            }))
        }
    }
}

/// Builds the client, failing early and clearly when region or credentials are missing.
async fn connect(tables: TableNames) -> Result<DynamoStore, String> {
    let config = sdk_config().await;
    if config.region().is_none() {
        return Err("no AWS region: set AWS_REGION (or a profile with a region)".into());
    }
    let provider = config
        .credentials_provider()
        .ok_or("no AWS credentials provider is configured")?;
    provider.provide_credentials().await.map_err(|e| {
        format!(
            "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ({e})"
        )
    })?;
    Ok(DynamoStore::new(Client::new(&config), tables))
}

/// keyctl's reading of the domain's errors: a missing table says which flags to pass, a
/// store failure shows its whole cause (an operator, not a client, reads it), and the rest
/// are already clear.
fn explain(e: DomainError, table: &str) -> String {
    let missing_table = match &e {
        DomainError::Store(cause) => match cause.downcast_ref::<StoreError>() {
            Some(StoreError::TableNotFound { table, .. }) => Some(table.clone()),
            _ => None,
        },
        _ => None,
    };
    match (missing_table, &e) {
        (Some(missing), _) => format!(
            "table {missing} was not found: pass --table, --events-table and --usage-table with \
             the stack's KeysTableName, EventsTableName and UsageTableName outputs (keys \
             table: {table}), or run `keyctl init-tables` against a local DynamoDB"
        ),
        (
            None,
            DomainError::Store(_)
            | DomainError::Unavailable(_)
            | DomainError::Random(_)
            | DomainError::Internal(_),
        ) => ErrorChain(&e).to_string(),
        (None, other) => other.to_string(),
    }
}
