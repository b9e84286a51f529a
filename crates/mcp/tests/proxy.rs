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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
    let env = vec![
        ("ANTHROPIC_API_KEY".to_owned(), PLATFORM_KEY.to_owned()),
        ("ANTHROPIC_BASE_URL".to_owned(), model.base_url()),
    ];
    let local = LocalPlatform::start(env, budget).await;
    Setup::serve(local, model).await
}

impl Setup {
    /// Opens a session's sockets on `local` and forwards a loopback port to its model socket, as
    /// the bridge does inside a container.
    async fn serve(local: LocalPlatform, model: ScriptedModelHandle) -> Setup {
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

    /// Sends `request` as raw bytes to the bridge's port, so no client normalizes its path, and
    /// returns the status line and the body.
    async fn raw(&self, request: &str) -> (String, String) {
        let address = self.base_url.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer.lines().next().unwrap_or_default().to_owned();
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
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

/// Records an earlier turn of the session that cost `usd`.
async fn spend_earlier_turn(setup: &Setup, usd: f64) {
    setup
        .engine
        .store()
        .insert_message(store::NewMessage {
            session_id: setup.session,
            role: Role::Assistant,
            content: "an earlier turn".to_owned(),
            tool_use: Vec::new(),
            cost_usd: Some(usd),
            interrupted: false,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_spent_budget_refuses_the_call_before_it_reaches_the_model() {
    let setup = setup(Some(0.5)).await;
    spend_earlier_turn(&setup, 0.75).await;
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

#[tokio::test]
async fn only_the_messages_routes_reach_the_model_and_every_other_request_is_refused() {
    let setup = setup(None).await;
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}"#;
    for (method, target) in [
        ("POST", "/v1/files"),
        ("POST", "/v1/messages/batches"),
        ("GET", "/v1/messages/batches/msgbatch_1/results"),
        ("GET", "/v1/models"),
        ("GET", "/v1/messages"),
        ("DELETE", "/v1/files/file_1"),
        ("POST", "/v1/messages/../files"),
        ("POST", "/v1/messages/%2e%2e/files"),
        ("POST", "//v1/files"),
        ("POST", "//v1/messages"),
        ("POST", "/v1/%6dessages"),
        ("POST", "/v1/messages/"),
        ("POST", "http://upstream.example/v1/files"),
    ] {
        let (status, answer) = setup
            .raw(&format!(
                "{method} {target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ))
            .await;
        assert!(status.contains(" 403 "), "{method} {target}: {status}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["error"]["type"], "permission_error", "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only POST /v1/messages"),
            "{answer}"
        );
    }
    assert!(
        setup.model.requests().is_empty(),
        "{:?}",
        setup.model.requests()
    );
    assert!(
        setup.model.other_requests().is_empty(),
        "{:?}",
        setup.model.other_requests()
    );

    // The two routes pass, with any query string.
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/messages/count_tokens?beta=true",
            setup.base_url
        ))
        .json(&streaming_request())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages?beta=true", setup.base_url))
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let requests = setup.model.requests();
    assert_eq!(requests.len(), 1, "count_tokens is not recorded as a call");
    assert_eq!(requests[0].path, "/v1/messages?beta=true");
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_never_reaches_the_model() {
    let setup = setup(None).await;
    let limit = mcp::proxy::MAX_REQUEST_BYTES;
    // Declared too large: refused before a byte of it is read.
    let (status, answer) = setup
        .raw(&format!(
            "POST /v1/messages HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
            limit + 1
        ))
        .await;
    assert!(status.contains(" 413 "), "{status}");
    assert!(answer.contains("request_too_large"), "{answer}");
    // Sent in chunks with no length: refused once the limit is passed.
    let chunk = bytes::Bytes::from(vec![b' '; 1024 * 1024]);
    let chunks = futures::stream::iter(
        (0..limit / chunk.len() + 2).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", setup.base_url))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }
    assert!(setup.model.requests().is_empty());
}

#[tokio::test]
async fn calls_started_together_overshoot_the_budget_by_one_call_at_most() {
    // Any call costs more than this budget: one may run, the others must not reach the model.
    let setup = setup(Some(1e-6)).await;
    let calls = (0..4).map(|_| {
        let url = format!("{}/v1/messages", setup.base_url);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .json(&streaming_request())
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.text().await.unwrap())
        }
    });
    let answers = futures::future::join_all(calls).await;
    let passed = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(passed, 1, "{answers:#?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 400, "{body}");
        assert!(body.contains("budget is spent"), "{body}");
    }
    assert_eq!(setup.model.requests().len(), 1);
    // The cost was priced from the stream, per model, before the next call was decided.
    let usage = setup.engine.session_usage(setup.session).await.unwrap();
    assert!(usage.metered_cost_usd > 1e-6, "{usage:?}");
}

#[tokio::test]
async fn the_first_failure_of_an_unreachable_upstream_reaches_the_session_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let model = ScriptedModel::start(Script::new());
    let local = LocalPlatform::start(
        vec![
            ("ANTHROPIC_API_KEY".to_owned(), PLATFORM_KEY.to_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), upstream.clone()),
        ],
        None,
    )
    .await;
    let mut events = local.engine.subscribe();
    let setup = Setup::serve(local, model).await;
    for _ in 0..3 {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/messages", setup.base_url))
            .json(&streaming_request())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 502);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&upstream),
            "{body}"
        );
    }
    let errors = model_errors(&mut events, setup.session).await;
    assert_eq!(errors.len(), 1, "reported once per turn: {errors:?}");
    assert!(
        errors[0].contains(&upstream) && errors[0].contains("cannot be reached"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_refused_key_is_reported_with_the_upstreams_status_and_message() {
    let upstream = refusing_upstream().await;
    let model = ScriptedModel::start(Script::new());
    let local = LocalPlatform::start(
        vec![
            ("ANTHROPIC_API_KEY".to_owned(), PLATFORM_KEY.to_owned()),
            ("ANTHROPIC_BASE_URL".to_owned(), upstream.clone()),
        ],
        None,
    )
    .await;
    let mut events = local.engine.subscribe();
    let setup = Setup::serve(local, model).await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", setup.base_url))
        .json(&streaming_request())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        401,
        "the agent gets the upstream's answer"
    );
    let errors = model_errors(&mut events, setup.session).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("(401)") && errors[0].contains("invalid x-api-key"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn with_only_a_claude_login_the_proxy_presents_its_token_and_the_agent_holds_nothing() {
    let model = ScriptedModel::start(Script::new());
    let home = tempfile::tempdir().unwrap();
    let login = home.path().join(".credentials.json");
    std::fs::write(
        &login,
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-login","refreshToken":"r"}}"#,
    )
    .unwrap();
    let local = LocalPlatform::start_with_login(
        vec![("ANTHROPIC_BASE_URL".to_owned(), model.base_url())],
        None,
        Some(login),
    )
    .await;
    assert_eq!(
        local.engine.model_access().credentials.as_str(),
        "claude_login"
    );
    let setup = Setup::serve(local, model).await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", setup.base_url))
        .header("x-api-key", "agentyard-placeholder-key")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let requests = setup.model.requests();
    let headers = &requests[0].headers;
    assert_eq!(headers["authorization"], "Bearer sk-ant-oat01-login");
    assert!(
        headers["anthropic-beta"].contains("oauth-2025-04-20"),
        "{headers:?}"
    );
    assert!(!headers.contains_key("x-api-key"), "{headers:?}");
}

/// The `model_upstream` errors the engine emitted for `session` within a few seconds.
async fn model_errors(
    events: &mut tokio::sync::broadcast::Receiver<engine::EngineEvent>,
    session: SessionId,
) -> Vec<String> {
    let mut errors = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        if let engine::EngineEvent::Error {
            session: from,
            error,
            code,
            ..
        } = event
            && from == session
            && code.as_deref() == Some("model_upstream")
        {
            errors.push(error);
        }
    }
    errors
}

/// An upstream that refuses every key, as the real API does a wrong one.
async fn refusing_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})),
        )
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

const OPENAI_KEY: &str = "sk-openai-platform";

/// A platform whose only model credential is an OpenAI key, with the scripted model as its
/// OpenAI upstream (`OPENAI_BASE_URL` ends in `/v1`).
async fn openai_setup(budget: Option<f64>) -> Setup {
    let model =
        ScriptedModel::start(Script::new().rule("hello", [Reply::text("hi from codex's model")]));
    let local = LocalPlatform::start_with(
        Vec::new(),
        budget,
        None,
        Some((
            format!("{}/v1", model.base_url()),
            Some(OPENAI_KEY.to_owned()),
        )),
    )
    .await;
    Setup::serve(local, model).await
}

fn responses_request() -> Value {
    json!({
        "model": "gpt-5",
        "stream": true,
        "tools": [{"type": "function", "name": "exec_command"}],
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}],
    })
}

#[tokio::test]
async fn a_responses_call_reaches_the_openai_upstream_with_the_platform_key_and_is_metered() {
    let setup = openai_setup(None).await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/responses", setup.base_url))
        .header("authorization", "Bearer agentyard-placeholder-key")
        .header("x-api-key", "sk-agent-made-up")
        .json(&responses_request())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("response.completed"), "{text}");
    assert!(text.contains("hi from codex's model"), "{text}");
    let requests = setup.model.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/responses");
    assert_eq!(
        requests[0].headers["authorization"],
        format!("Bearer {OPENAI_KEY}")
    );
    assert!(!requests[0].headers.contains_key("x-api-key"));
    let usage = setup.engine.session_usage(setup.session).await.unwrap();
    assert!(
        usage.input_tokens > 0 && usage.output_tokens > 0 && usage.metered_cost_usd > 0.0,
        "{usage:?}"
    );
}

#[tokio::test]
async fn responses_path_tricks_and_a_spent_budget_never_reach_the_openai_upstream() {
    let setup = openai_setup(Some(0.5)).await;
    let body = responses_request().to_string();
    for target in [
        "/v1/responses/resp_1",
        "/v1/responses/../files",
        "/v1/%72esponses",
        "//v1/responses",
        "/v1/chat/completions",
    ] {
        let request = format!(
            "POST {target} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let (status, _) = setup.raw(&request).await;
        assert!(status.contains(" 403 "), "{target}: {status}");
    }
    spend_earlier_turn(&setup, 0.75).await;
    let response = reqwest::Client::new()
        .post(format!("{}/v1/responses", setup.base_url))
        .json(&responses_request())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("budget is spent")),
        "{body}"
    );
    assert!(setup.model.requests().is_empty(), "the model was called");
}
