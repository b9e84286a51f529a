//! The model proxy end to end in one process: a client on the bridge's loopback port, the session's
//! `model.sock`, and the scripted model as the upstream.

mod support;

use domain::{Role, SessionId};
use engine::{Engine, SessionEndpoints};
use futures::StreamExt;
use mcp::SocketRegistry;
use scripted_model::{Reply, Script, ScriptedModel, ScriptedModelHandle};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::LocalPlatform;
use tokio_util::sync::CancellationToken;

const PLATFORM_KEY: &str = "sk-platform-key";
const CHUNK_DELAY_MS: u64 = 150;

struct Setup {
    engine: Engine,
    session: SessionId,
    /// The bridge's loopback address, as the agent's `ANTHROPIC_BASE_URL`.
    base_url: String,
    model: ScriptedModelHandle,
    _registry: SocketRegistry,
    /// Keeps the engine's directories.
    _local: LocalPlatform,
}

async fn setup(budget: Option<f64>) -> Setup {
    let model = ScriptedModel::start(Script::new().rule(
        "count slowly",
        [Reply::slow_text("one two three four", CHUNK_DELAY_MS)],
    ));
    let local = LocalPlatform::start(
        vec![
            ("ANTHROPIC_API_KEY".to_owned(), PLATFORM_KEY.to_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), model.base_url()),
        ],
        budget,
    )
    .await;
    let registry = SocketRegistry::new(
        PathBuf::from(env!("CARGO_BIN_EXE_agentyard-bridge")),
        CancellationToken::new(),
    );
    let session = local.session_in("proxied", "proxied").await.id;
    let endpoint = registry.open(&local.engine, session).await.unwrap();
    let socket = endpoint.model_socket.expect("a model socket");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { mcp::bridge::forward_model(listener, &socket).await });
    Setup {
        _registry: registry,
        engine: local.engine.clone(),
        session,
        base_url,
        model,
        _local: local,
    }
}

fn streaming_request() -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "stream": true,
        "tools": [{"name": "noop", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "count slowly"}],
    })
}

#[tokio::test]
async fn a_stream_passes_through_as_it_comes_with_the_platform_key_and_is_metered() {
    let setup = setup(None).await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", setup.base_url))
        .header("x-api-key", "agentyard-placeholder-key")
        .json(&streaming_request())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut chunks = response.bytes_stream();
    let mut text = String::new();
    let mut first_delta = None;
    while let Some(chunk) = chunks.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if first_delta.is_none() && text.contains("content_block_delta") {
            first_delta = Some(Instant::now());
        }
    }
    // A buffering proxy would deliver everything at once; the words arrive at their own pace.
    let streamed_for = first_delta.expect("a delta arrived").elapsed();
    assert!(
        streamed_for >= Duration::from_millis(CHUNK_DELAY_MS),
        "the stream arrived in one piece ({streamed_for:?})"
    );
    assert!(text.contains("message_stop"), "{text}");

    let requests = setup.model.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].headers["x-api-key"], PLATFORM_KEY);

    let usage = setup.engine.session_usage(setup.session).await.unwrap();
    assert!(
        usage.input_tokens > 0 && usage.output_tokens > 0,
        "{usage:?}"
    );
}

#[tokio::test]
async fn an_error_of_the_upstream_comes_back_with_its_status_and_body() {
    let setup = setup(None).await;
    let send = |url: String| async move {
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body("not json")
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let direct = send(format!("{}/v1/messages", setup.model.base_url())).await;
    let proxied = send(format!("{}/v1/messages", setup.base_url)).await;
    assert_eq!(direct.0, 400);
    assert_eq!(proxied, direct);
    let usage = setup.engine.session_usage(setup.session).await.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (0, 0));
}

#[tokio::test]
async fn a_spent_budget_refuses_the_call_before_it_reaches_the_model() {
    let setup = setup(Some(0.5)).await;
    setup
        .engine
        .store()
        .insert_message(store::NewMessage {
            session_id: setup.session,
            role: Role::Assistant,
            content: "an earlier turn".to_owned(),
            tool_use: Vec::new(),
            cost_usd: Some(0.75),
            interrupted: false,
        })
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", setup.base_url))
        .json(&streaming_request())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("budget is spent") && message.contains("AGENT_SESSION_BUDGET_USD"),
        "{message}"
    );
    assert!(setup.model.requests().is_empty(), "the model was called");
}
