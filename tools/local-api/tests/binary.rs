//! The README's main command as a user runs it: the real binary starts, prints exactly one
//! `admin key:` line and the URL, and that key works against that URL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server binary with `args`, in memory unless told otherwise, with no endpoint from
/// the environment.
fn local_api(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-api"));
    command
        .args(["--port", "0"])
        .args(args)
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env_remove("AWS_ENDPOINT_URL");
    command
}

/// Kills the server when the test ends, passed or failed.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn main_command_prints_one_admin_key_that_works() {
    let child = local_api(&["--store", "memory"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    let stdout = server.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.contains("/keys/verify");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(Duration::from_secs(60), lines)
        .await
        .unwrap()
        .unwrap();
    let admin_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("admin key: "))
        .collect();
    assert_eq!(admin_lines.len(), 1, "{lines:#?}");
    let key = admin_lines[0].trim_start_matches("admin key: ").trim();
    assert!(key.starts_with("sk_live_"));
    let url = lines
        .iter()
        .find_map(|l| l.strip_prefix("API on "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{url}/keys"))
        .header("x-api-key", key)
        .json(
            &serde_json::json!({"name": "shop", "subject": "user_1", "scopes": ["products:write"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shop = created["secret"]
        .as_str()
        .expect("created key has its secret");
    let response = client
        .post(format!("{url}/products"))
        .header("x-api-key", shop)
        .json(&serde_json::json!({"name": "Widget", "price": 19.99}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let unauthorized = client.get(format!("{url}/keys")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
}

/// Against real AWS tables (`--store dynamodb` without an endpoint override) the server
/// would write an admin key with every scope there: it refuses, before any AWS call.
#[test]
fn refuses_an_admin_key_in_real_aws_without_the_flag() {
    let output = local_api(&["--store", "dynamodb"]).output().unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("admin key"), "{stdout}");
    assert!(stderr.contains("--allow-aws"), "{stderr}");
}

/// Another address than loopback is served, with a warning on stderr.
#[test]
fn warns_when_bound_beyond_loopback() {
    let mut child = local_api(&["--store", "memory", "--host", "0.0.0.0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _server = Running(child);
    let mut first = String::new();
    BufReader::new(stderr).read_line(&mut first).unwrap();
    assert!(
        first.starts_with("warning: listening on 0.0.0.0"),
        "{first}"
    );
}

/// Requests the HTTP layer refuses (a head past API Gateway's limits, or not HTTP) get the
/// API's JSON error and `cache-control: no-store`, like every other answer.
#[test]
fn refused_heads_get_json_errors() {
    use std::io::{Read, Write};
    let mut child = local_api(&["--store", "memory"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Running(child);
    let url = BufReader::new(stdout)
        .lines()
        .map(Result::unwrap)
        .find_map(|l| {
            l.strip_prefix("API on http://")
                .map(|r| r.split_whitespace().next().unwrap().to_owned())
        })
        .unwrap();
    let send = |head: Vec<u8>| {
        let mut stream = std::net::TcpStream::connect(&url).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(&head);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    let long_url = format!(
        "GET /keys?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(9000)
    );
    let big_header = format!(
        "GET /keys HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(11_000)
    );
    let many: String = (0..300).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many_headers = format!("GET /keys HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    for (head, status, code) in [
        (
            b"GE(T /keys HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "400",
            "bad_request",
        ),
        (long_url.into_bytes(), "414", "uri_too_long"),
        (big_header.into_bytes(), "431", "headers_too_large"),
        (many_headers.into_bytes(), "431", "headers_too_large"),
    ] {
        let answer = send(head);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{answer}"
        );
        let lower = answer.to_lowercase();
        assert!(lower.contains("cache-control: no-store"), "{answer}");
        assert!(lower.contains("content-type: application/json"), "{answer}");
        let body: serde_json::Value =
            serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], code, "{answer}");
    }
    // A request within the limits is served as before, through the gateway's emulation.
    let answer = send(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n".to_vec());
    assert!(answer.starts_with("HTTP/1.1 404 "), "{answer}");
    assert!(
        answer.to_lowercase().contains("cache-control: no-store"),
        "{answer}"
    );
}

/// The admin key and the URL from the server's first lines.
fn admin_and_url(server: &mut Running) -> (String, String) {
    let stdout = server.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map(Result::unwrap);
    let key = lines
        .find_map(|l| l.strip_prefix("admin key: ").map(str::to_owned))
        .unwrap();
    let url = lines
        .find_map(|l| l.strip_prefix("API on ").map(str::to_owned))
        .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
        .unwrap();
    (key, url)
}

/// `--routes FILE --upstream URL`: the document's routes go to the service, and the
/// start-up admin key holds every scope the document names, so it calls them at once.
#[tokio::test]
async fn serves_a_routes_document_in_front_of_a_service() {
    let service = axum::Router::new().fallback(|| async { "from the service" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let document = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/python-orders/routes.yaml"
    );
    let child = local_api(&[
        "--store",
        "memory",
        "--routes",
        document,
        "--upstream",
        &upstream,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut server = Running(child);
    let ((key, url), _server) = tokio::task::spawn_blocking(move || {
        let found = admin_and_url(&mut server);
        (found, server)
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    for path in ["/orders/7/refunds", "/admin/anything"] {
        let answer = client
            .get(format!("{url}{path}"))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        assert_eq!(answer.text().await.unwrap(), "from the service");
    }
}

/// A document the server cannot use stops it before it serves anything, naming the route.
#[test]
fn refuses_a_routes_document_it_cannot_use() {
    let file = std::env::temp_dir().join(format!("routes-{}.yaml", std::process::id()));
    std::fs::write(
        &file,
        "routes:\n  - {method: GET, path: /a, scope: Not A Scope}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let output = local_api(&[
        "--store",
        "memory",
        "--routes",
        path,
        "--upstream",
        "http://127.0.0.1:9",
    ])
    .output()
    .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("route 1 (GET /a)"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("admin key"));
    let alone = local_api(&["--store", "memory", "--routes", path])
        .output()
        .unwrap();
    assert!(!alone.status.success());
    assert!(String::from_utf8_lossy(&alone.stderr).contains("--upstream"));
}
