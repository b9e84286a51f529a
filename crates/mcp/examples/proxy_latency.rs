//! Benchmark: the latency the model proxy adds per request, as the median of requests to the
//! scripted model made directly and through the bridge's loopback port, `model.sock` and the
//! platform's proxy (credentials, budget check, usage accounting).
//!
//! Run: `cargo build --release -p mcp --bin agentyard-bridge && cargo run --release -p mcp --example
//! proxy_latency [requests]` (default 300). Prints medians.

#[path = "../tests/support/mod.rs"]
mod support;

use engine::SessionEndpoints;
use mcp::SocketRegistry;
use scripted_model::{Script, ScriptedModel};
use serde_json::json;
use std::time::{Duration, Instant};
use support::LocalPlatform;
use tokio_util::sync::CancellationToken;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn measure(client: &reqwest::Client, url: &str, requests: usize) -> Duration {
    let body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 16,
        "stream": true,
        "messages": [{"role": "user", "content": "hi"}],
    });
    let mut samples = Vec::with_capacity(requests);
    for round in 0..requests + 20 {
        let started = Instant::now();
        let response = client
            .post(url)
            .header("x-api-key", "agentyard-placeholder-key")
            .json(&body)
            .send()
            .await
            .expect("the request is answered");
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.expect("the answer is read");
        // The first rounds warm up connections and caches.
        if round >= 20 {
            samples.push(started.elapsed());
        }
    }
    median(samples)
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|value| value.parse().ok())
        .unwrap_or(300);
    let model = ScriptedModel::start(Script::new());
    let local = LocalPlatform::start(
        vec![
            ("ANTHROPIC_API_KEY".to_owned(), "sk-benchmark".to_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), model.base_url()),
        ],
        Some(1000.0),
    )
    .await;
    // Examples live in `target/<profile>/examples/`, one level below the bridge cargo builds.
    let exe = std::env::current_exe().unwrap();
    let bridge = exe
        .parent()
        .and_then(|dir| dir.parent())
        .map(|dir| dir.join(mcp::BRIDGE_NAME))
        .filter(|path| path.is_file())
        .expect("build the bridge first: cargo build --release -p mcp --bin agentyard-bridge");
    let registry = SocketRegistry::new(bridge, CancellationToken::new());
    let session = local.session_in("bench", "bench").await.id;
    let endpoint = registry.open(&local.engine, session).await.unwrap();
    let socket = endpoint.model_socket.expect("a model socket");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxied = format!("http://{}/v1/messages", listener.local_addr().unwrap());
    tokio::spawn(async move { mcp::bridge::forward_model(listener, &socket).await });

    let client = reqwest::Client::new();
    let direct = measure(
        &client,
        &format!("{}/v1/messages", model.base_url()),
        requests,
    )
    .await;
    let through = measure(&client, &proxied, requests).await;
    println!("requests per path: {requests} (streamed answers, keep-alive)");
    println!("direct to the model:    median {direct:?}");
    println!("through the proxy:      median {through:?}");
    println!(
        "added by the proxy:     {:?} per request (median difference)",
        through.saturating_sub(direct)
    );
}
