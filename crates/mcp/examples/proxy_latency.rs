//! Benchmark: the latency the model proxy adds per request, as the median of requests to the
//! scripted model made directly and through the bridge's loopback port, `model.sock` and the
//! platform's proxy (credentials, budget check, usage accounting).
//!
//! Run: `cargo build --release -p mcp --bin agentyard-bridge && cargo run --release -p mcp --example
//! proxy_latency [requests]` (default 300). Prints medians.

use domain::Config;
use engine::{Engine, ProjectInput, SessionEndpoints, SessionInput};
use mcp::SocketRegistry;
use scripted_model::{Script, ScriptedModel};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    let projects = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        mode: domain::AgentMode::Local,
        default_image: domain::DEFAULT_IMAGE.to_owned(),
        memory_limit: "4g".parse().unwrap(),
        cpu_limit: "2".parse().unwrap(),
        pids_limit: 512,
        docker_access: domain::DockerAccess::None,
        runtime: None,
        network: domain::NetworkChoice::Host,
        user: domain::UserSpec {
            uid: 1000,
            gid: 1000,
        },
        idle_timeout: Duration::from_secs(300),
        agent_command: "claude".to_owned(),
        session_budget_usd: Some(1000.0),
        env_passthrough: Vec::new(),
        projects_root: projects.path().to_owned(),
        data_dir: data.path().to_owned(),
        bind: "127.0.0.1:0".parse().unwrap(),
        token: None,
        host_projects_dir: None,
        host_data_dir: None,
        agent_env: vec![
            ("ANTHROPIC_API_KEY".to_owned(), "sk-benchmark".to_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), model.base_url()),
        ],
        docker_host: None,
        claude_credentials: None,
    };
    let store = store::Store::open(data.path()).await.unwrap();
    let engine = Engine::new(
        config,
        store,
        Arc::new(engine::runtime::LocalRuntime::new()),
    )
    .unwrap();
    // Examples live in `target/<profile>/examples/`, one level below the bridge cargo builds.
    let exe = std::env::current_exe().unwrap();
    let bridge = exe
        .parent()
        .and_then(|dir| dir.parent())
        .map(|dir| dir.join(mcp::BRIDGE_NAME))
        .filter(|path| path.is_file())
        .expect("build the bridge first: cargo build --release -p mcp --bin agentyard-bridge");
    let registry = SocketRegistry::new(bridge, CancellationToken::new());
    let project = engine
        .create_project(ProjectInput {
            name: "bench".to_owned(),
            ..ProjectInput::default()
        })
        .await
        .unwrap();
    let session = engine
        .create_session(SessionInput {
            project_id: project.id,
            agent_id: None,
            title: None,
            mode: None,
            docker_image: None,
        })
        .await
        .unwrap()
        .id;
    let endpoint = registry.open(&engine, session).await.unwrap();
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
