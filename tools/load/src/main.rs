//! `load`: a fixed rate of mixed, authorized requests against the local server (or any
//! deployment of the API), with p50/p99 latency, errors and the server's resident memory
//! at the start and the end; first, 50 concurrent creates, every one of which must be
//! listed afterwards. Exits non-zero on any error or lost create. Figures, not a timed test.

use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Base URL of the API, e.g. http://127.0.0.1:3000.
    #[arg(long)]
    url: String,
    /// A key with every scope (the local server prints one at start-up).
    #[arg(long, env = "LOAD_ADMIN_KEY")]
    admin_key: String,
    /// Requests a second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// For this many seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server's process id, to report its resident memory (Linux).
    #[arg(long)]
    server_pid: Option<u32>,
}

/// Resident memory of `pid` in MiB, from /proc.
fn rss_mib(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    /// One call: its status and JSON body, or the transport error as text.
    async fn call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        url: args.url.trim_end_matches('/').to_owned(),
    });
    let admin = args.admin_key.as_str();
    let rss_start = rss_mib(args.server_pid);

    // The key the load runs with, for a subject of its own.
    let scopes = ["keys:read", "keys:verify", "products:write"];
    let body = json!({"name": "load", "subject": "load_test", "scopes": scopes});
    let (status, worker) = api.call("POST", "/keys", admin, Some(body)).await?;
    if status != 201 {
        return Err(format!("creating the load key: {status} {worker}").into());
    }
    let (id, secret) = (
        worker["id"].as_str().unwrap_or_default().to_owned(),
        worker["secret"].as_str().unwrap_or_default().to_owned(),
    );

    // 50 creates at once: each answered 201 and each listed afterwards.
    let creates = (0..50).map(|i| {
        let api = api.clone();
        let admin = admin.to_owned();
        async move {
            let body = json!({"name": format!("concurrent {i}"), "subject": "load_concurrent"});
            api.call("POST", "/keys", &admin, Some(body)).await
        }
    });
    let created = futures::future::join_all(creates).await;
    let answered = created.iter().filter(|r| matches!(r, Ok((201, _)))).count();
    let (_, listed) = api
        .call(
            "GET",
            "/keys?subject=load_concurrent&limit=100",
            admin,
            None,
        )
        .await?;
    let listed = listed["data"].as_array().map_or(0, Vec::len);
    println!("concurrent creates: 50 sent, {answered} answered 201, {listed} listed");

    // The fixed-rate phase: one request every 1/rate s, whatever the answers take.
    let latencies = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let total = u64::from(args.rate) * args.seconds;
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        tokio::time::sleep_until((started + interval * n as u32).into()).await;
        let (api, latencies, errors) = (api.clone(), latencies.clone(), errors.clone());
        let (id, secret) = (id.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            let (method, path, body, expected) = match n % 4 {
                0 => ("GET", "/keys?limit=10".to_owned(), None, 200),
                1 => (
                    "POST",
                    "/products".to_owned(),
                    Some(json!({"name": format!("item {n}"), "price": 1.25})),
                    201,
                ),
                2 => (
                    "POST",
                    "/keys/verify".to_owned(),
                    Some(json!({"key": secret})),
                    200,
                ),
                _ => ("GET", format!("/keys/{id}"), None, 200),
            };
            let sent = Instant::now();
            let answer = api.call(method, &path, &secret, body).await;
            let micros = sent.elapsed().as_micros() as u64;
            latencies.lock().unwrap().record(micros.max(1)).ok();
            match answer {
                Ok((status, _)) if status == expected => {}
                Ok((status, body)) => errors
                    .lock()
                    .unwrap()
                    .push(format!("{method} {path}: {status} {body}")),
                Err(e) => errors.lock().unwrap().push(format!("{method} {path}: {e}")),
            }
        }));
    }
    futures::future::join_all(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    let rss_end = rss_mib(args.server_pid);
    let h = latencies.lock().unwrap();
    let errors = errors.lock().unwrap();
    let mib = |v: Option<f64>| v.map_or("n/a".to_owned(), |m| format!("{m:.1} MiB"));
    println!(
        "load: {total} requests in {elapsed:.1} s ({:.0}/s; GET /keys, POST /products, POST /keys/verify, GET /keys/{{id}} in turn)",
        total as f64 / elapsed
    );
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; errors {}; server RSS {} at start, {} at end",
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
        errors.len(),
        mib(rss_start),
        mib(rss_end),
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    if !errors.is_empty() || answered != 50 || listed != 50 {
        return Err("errors or lost creates".into());
    }
    Ok(())
}
